"""``atende`` is the top floor: no package below it imports it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BELOW = ("acd", "ivr", "telephony", "erp_bridge", "campaigns", "crm_sync")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_no_package_below_atende_imports_it() -> None:
    """Every module of acd, ivr, telephony, erp_bridge, campaigns and crm_sync, at any depth
    and inside functions too, imports nothing from ``atende``."""
    offenders = []
    files = [f for package in BELOW for f in sorted((ROOT / package).rglob("*.py"))]
    assert len(files) > 50
    for path in files:
        for name in _imports(path):
            if name == "atende" or name.startswith("atende."):
                offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []

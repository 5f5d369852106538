"""``atende erp ...`` commands on a real SQLite database, and the demo's ERP seed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from atende.cli import main
from atende.db import make_engine, upgrade
from atende.demo import seed_erp


@pytest.mark.usefixtures("restore_logging")
def test_seed_check_runs_and_outbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``erp seed`` makes a demo ERP and refuses a second seed; ``erp check`` finds it
    consistent (exit 0), also after ``invoice-run``, ``production-run`` and
    ``collection-run``; ``erp outbox`` lists nothing yet and ``erp retry`` of an unknown
    outcome fails with its code."""
    monkeypatch.setenv("ATENDE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'erp.db'}")
    monkeypatch.setenv("ATENDE_LOG_LEVEL", "warning")
    assert main(["erp", "seed", "--seed", "7", "--customers", "15"]) == 0
    out = capsys.readouterr().out
    assert "seeded: " in out and "customers" in out
    assert int(out.split("seeded: ")[1].split()[0]) >= 15

    assert main(["erp", "seed", "--seed", "7", "--customers", "15"]) == 1
    assert "already_seeded" in capsys.readouterr().out

    assert main(["erp", "check"]) == 0
    assert capsys.readouterr().out.strip().endswith("consistent")
    for run, said in [
        ("invoice-run", "invoices"),
        ("production-run", "production orders"),
        ("collection-run", "promises settled"),
    ]:
        assert main(["erp", run]) == 0
        assert said in capsys.readouterr().out
    assert main(["erp", "check"]) == 0
    assert capsys.readouterr().out.strip().endswith("consistent")

    assert main(["erp", "outbox", "--dead"]) == 0
    assert capsys.readouterr().out.strip() == "0 outcomes"
    assert main(["erp", "retry", "no-such-outcome"]) == 1
    assert "outcome_not_dead" in capsys.readouterr().out


async def test_demo_seeds_the_erp_once(tmp_path: Path) -> None:
    """The demo seeds the ERP the first time and skips it when it already has customers."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    try:
        assert await seed_erp(engine, 10) is True
        assert await seed_erp(engine, 10) is False
    finally:
        await engine.dispose()


@pytest.mark.usefixtures("restore_logging")
def test_import_files_and_complete_production_from_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``erp import`` loads products, a bill of materials and stock from CSV files into a
    freshly migrated database and prints the report (a refused line exits 1 and names the
    line; loading the same file again changes nothing); ``erp complete-production`` of an
    unknown production order exits 1 with its code, a quantity that is not a number exits 2."""
    monkeypatch.setenv("ATENDE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'erp.db'}")
    monkeypatch.setenv("ATENDE_LOG_LEVEL", "warning")
    files = {
        "products": "code,description,in_house\nM1,Moedor,S\nC1,Motor,N\n",
        "bom": "product,component,quantity\nM1,C1,2\nM1,XX,1\n",
        "stock": "product,on_hand\nM1,0\nC1,10\n",
    }
    for kind, text in files.items():
        (tmp_path / f"{kind}.csv").write_text(text, encoding="utf-8")
    assert main(["erp", "import", "products", str(tmp_path / "products.csv")]) == 0
    assert "products: 2 rows, 2 added" in capsys.readouterr().out
    assert main(["erp", "import", "bom", str(tmp_path / "bom.csv")]) == 1
    out = capsys.readouterr().out
    assert "line 3: component: no component XX" in out and "1 refused" in out
    assert main(["erp", "import", "stock", str(tmp_path / "stock.csv")]) == 0
    assert main(["erp", "import", "stock", str(tmp_path / "stock.csv")]) == 0
    assert "0 added, 0 changed, 2 unchanged" in capsys.readouterr().out
    assert main(["erp", "complete-production", "000001", "lots"]) == 2
    assert main(["erp", "complete-production", "000001", "1"]) == 1
    assert "production_order_unknown" in capsys.readouterr().out

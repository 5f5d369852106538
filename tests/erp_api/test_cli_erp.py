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

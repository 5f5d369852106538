"""Readiness and the outbox metrics against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

from atende.db import make_engine
from atende.operations import EngineMetrics, LoopLag, Readiness
from erp_bridge.outbox.table import outbox
from telephony.agi import AgiServer
from telephony.link import AsteriskLink


async def test_outbox_depth_and_dead_letters_are_counted_at_scrape(database_url: str) -> None:
    """Two pending outcomes, one dead and one delivered: the scrape says pending 2, dead 1,
    rejected 0 (delivered ones are not outbox depth)."""
    db = make_engine(database_url)
    now = datetime.now(UTC)
    try:
        async with db.begin() as conn:
            for n, status in enumerate(["pending", "pending", "dead", "delivered"]):
                await conn.execute(
                    outbox.insert().values(
                        id=f"o{n}", kind="promise", payload="{}", status=status,
                        next_attempt_at=now, created_at=now,
                    )
                )  # fmt: skip
        metrics = EngineMetrics(AsteriskLink([]), lambda: None, db, LoopLag())
        text = (await metrics.exposition()).decode()
    finally:
        await db.dispose()
    lines = set(text.splitlines())
    assert 'atende_outbox_outcomes{status="pending"} 2.0' in lines
    assert 'atende_outbox_outcomes{status="dead"} 1.0' in lines
    assert 'atende_outbox_outcomes{status="rejected"} 0.0' in lines
    assert "atende_ami_dropped_events_total 0.0" in lines


async def test_readiness_names_what_is_missing(database_url: str) -> None:
    """A reachable database is ready; without Redis the check says it is not used; a FastAGI
    server not started is 'not listening'; a disposed-of engine pointing at nothing is
    unreachable."""
    db = make_engine(database_url)
    agi = AgiServer({}, host="127.0.0.1", port=0)
    try:
        checks = {c.name: c for c in await Readiness(db, AsteriskLink([]), agi, None).checks()}
        assert checks["database"].ok and checks["redis"].ok
        assert checks["redis"].reason == "not used: live state in-process"
        assert (checks["fastagi"].ok, checks["fastagi"].reason) == (False, "not listening")
        await agi.start()
        checks = {c.name: c for c in await Readiness(db, AsteriskLink([]), agi, None).checks()}
        assert checks["fastagi"].ok
    finally:
        await agi.stop()
        await db.dispose()
    nowhere = make_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    try:
        checks = {c.name: c for c in await Readiness(nowhere, AsteriskLink([]), agi, None).checks()}
    finally:
        await nowhere.dispose()
    assert checks["database"].ok is False
    assert checks["database"].reason.startswith("unreachable")
    assert "nobody" not in checks["database"].reason

"""The queue log's time index, and the reports' range read using it (EXPLAIN on both databases)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from acd.domain import QueueEvent, QueueLogRecord
from acd.live.sql import AcdConfigStore, acd_queue_log
from atende.db import make_engine

DAY = 86_400.0
START = 1_773_100_800.0  # 2026-03-10 00:00 UTC


def _month_of_records() -> list[QueueLogRecord]:
    """30 days, one record every 2 minutes (21,600 records)."""
    return [
        QueueLogRecord(START + i * 120.0, f"c{i}", "vendas", "NONE", QueueEvent.ENTERQUEUE, ())
        for i in range(int(30 * DAY / 120))
    ]


def _range_query(since: float, until: float) -> sa.Select[tuple[object, ...]]:
    """The very statement ``acd.reports.store.queue_log_between`` sends."""
    return (
        sa.select(acd_queue_log)
        .where(acd_queue_log.c.time >= since, acd_queue_log.c.time < until)
        .order_by(acd_queue_log.c.id)
    )


async def _plan(db: AsyncEngine, since: float, until: float) -> str:
    compiled = _range_query(since, until).compile(
        dialect=db.dialect, compile_kwargs={"literal_binds": True}
    )
    async with db.connect() as conn:
        if db.dialect.name == "sqlite":
            await conn.execute(sa.text("ANALYZE"))
            rows = await conn.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}"))
            return "\n".join(str(r[-1]) for r in rows)
        await conn.execute(sa.text("ANALYZE acd_queue_log"))
        rows = await conn.execute(sa.text(f"EXPLAIN {compiled}"))
        return "\n".join(str(r[0]) for r in rows)


async def test_migrated_queue_log_has_the_time_index(database_url: str) -> None:
    """The migrations leave an index on ``acd_queue_log.time`` alone (the reports' key)."""
    db = make_engine(database_url)
    try:
        async with db.connect() as conn:
            indexes = await conn.run_sync(lambda c: sa.inspect(c).get_indexes("acd_queue_log"))
    finally:
        await db.dispose()
    assert {"name": "ix_acd_queue_log_time", "columns": ["time"]} in [
        {"name": i["name"], "columns": i["column_names"]} for i in indexes
    ]


async def test_a_day_of_a_month_is_read_through_the_time_index(database_url: str) -> None:
    """With a month stored, the planner reads one day's report range through
    ``ix_acd_queue_log_time`` rather than scanning the table (EXPLAIN shown on failure)."""
    db = make_engine(database_url)
    try:
        await AcdConfigStore(db).append_log(_month_of_records())
        plan = await _plan(db, START + 10 * DAY, START + 11 * DAY)
    finally:
        await db.dispose()
    assert "ix_acd_queue_log_time" in plan, plan
    assert "SCAN acd_queue_log\n" not in plan + "\n" and "Seq Scan" not in plan, plan

"""The queue log read by time range, and a report built from it (SQL adapter)."""

from __future__ import annotations

import asyncio
from datetime import date
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from acd.domain import QueueConfig, QueueLogRecord
from acd.live.sql import acd_queue_log
from acd.reports.intervals import Interval, IntervalReport, interval_bounds, interval_report

#: records read before the range: agents' sessions and pauses under way at its start
LOOKBACK = 24 * 3600.0
#: records read after the range: outcomes of callers who entered before its end
LOOKAHEAD = 12 * 3600.0


async def queue_log_between(db: AsyncEngine, since: float, until: float) -> list[QueueLogRecord]:
    """Records with ``since <= time < until``, in the order they were written."""
    query = (
        sa.select(acd_queue_log)
        .where(acd_queue_log.c.time >= since, acd_queue_log.c.time < until)
        .order_by(acd_queue_log.c.id)
    )
    async with db.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [
        QueueLogRecord.from_line(
            "|".join([repr(row.time), row.call_id, row.queue, row.agent, row.event])
            + ("|" + row.data if row.data else "")
        )
        for row in rows
    ]


async def build_report(
    db: AsyncEngine,
    queues: list[QueueConfig],
    first: date,
    last: date,
    zone: ZoneInfo,
    interval: Interval,
    now: float,
) -> IntervalReport:
    """The interval report of local days ``first``..``last`` from the stored queue log."""
    bounds = interval_bounds(first, last, zone, interval)
    records = await queue_log_between(
        db, bounds.starts[0] - LOOKBACK, bounds.starts[-1] + LOOKAHEAD
    )
    configs = {q.name: q for q in queues}
    # a month of records takes a while to replay: off the event loop
    return await asyncio.to_thread(interval_report, records, configs, bounds, now)

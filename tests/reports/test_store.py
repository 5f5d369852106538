"""The stored queue log read by time range, and a report built from it, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from acd.domain import QueueLogRecord
from acd.live.sql import AcdConfigStore
from acd.reports import Interval
from acd.reports.store import build_report, queue_log_between
from atende.db import make_engine
from tests.reports.evening import DAY, QUEUES, SITE, evening, local


async def test_range_read_and_report_from_the_database(database_url: str) -> None:
    """The evening stored in ``acd_queue_log`` reads back by range (start included, end not)
    and gives the hand-computed figures of the 20:45 and 21:00 quarters."""
    db = make_engine(database_url)
    try:
        await AcdConfigStore(db).append_log(evening())
        nine = local("21:00").timestamp()
        after_nine = await queue_log_between(db, nine, nine + 3600)
        assert after_nine[0].call_id == "c3" and after_nine[0].event == "ABANDON"
        assert all(nine <= r.time < nine + 3600 for r in after_nine)
        assert [r.call_id for r in after_nine].count(
            "c8"
        ) == 5  # entered, missed, answered, ended, wrap-up
        assert await queue_log_between(db, nine - 60, nine) == [
            r for r in evening() if nine - 60 <= r.time < nine
        ]
        report = await build_report(
            db, list(QUEUES.values()), DAY, DAY, SITE, Interval.MIN15, local("23:00").timestamp()
        )
    finally:
        await db.dispose()
    rows = {(r.queue, r.start.strftime("%H:%M")): r for r in report.queues}
    assert (rows[("vendas", "20:45")].offered, rows[("vendas", "20:45")].answered) == (3, 2)
    assert rows[("vendas", "21:00")].longest_wait == 180.0
    agents = {(r.agent, r.start.strftime("%H:%M")): r for r in report.agents}
    assert agents[("2002", "21:00")].talk_time == 330.0


async def test_queue_log_batches_written_whole(database_url: str) -> None:
    """Batches appended one after the other read back as written, in order (the data fields
    joined by ``|``); a batch that fails leaves none of its records, and the next batch is
    written."""
    db = make_engine(database_url)
    store = AcdConfigStore(db)
    try:
        first, second = evening()[:5], evening()[5:9]
        await store.append_log(first)
        bad = [second[0], QueueLogRecord(second[1].time, None, "vendas", "NONE", "ABANDON")]  # type: ignore[arg-type]
        with pytest.raises(Exception):  # noqa: B017 (the driver's integrity error)
            await store.append_log(bad)
        await store.append_log(second)
        assert await store.queue_log() == first + second
    finally:
        await db.dispose()

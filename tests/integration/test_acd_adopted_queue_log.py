"""A caller taken over from a dead engine counts once in the queue log, whether or not the dead
engine's last queue-log batch reached its database (two engines in one process, one Redis,
the twin)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path

from acd.domain import QueueEvent, QueueLogRecord
from acd.live.queue_log_writer import QueueLogBook
from acd.live.service import InboundAcd
from acd.live.sql import AcdConfigStore
from atende.db import make_engine
from tests.integration.conftest import eventually
from tests.integration.test_acd_lease_lost import TwoEngines, two_engines


def _hold_queue_log(acd: InboundAcd) -> asyncio.Event:
    """``acd``'s queue-log batches wait (as a database that does not answer) until the event
    returned is set."""
    gate = asyncio.Event()
    write = acd.log_book._writer
    assert write is not None

    async def held(batch: Sequence[QueueLogRecord]) -> None:
        await gate.wait()
        await write(batch)

    acd.log_book._writer = held
    return gate


async def _kill_a(two: TwoEngines) -> None:
    """Engine a stops dead once the caller is in Redis: no routing, no heartbeat, no lease
    renewal, no queue-log batch (its AMI and FastAGI sockets stay, answering nothing)."""
    await two.acd_a.store.drain()
    for task in two.acd_a._tasks[:-1]:  # all but the queue-log writer (held already)
        task.cancel()


async def _book_of_b(two: TwoEngines, call: str) -> list[QueueLogRecord]:
    """b's queue log for ``call`` once its CONNECT reached b's database."""
    book: list[QueueLogRecord] = []
    for _ in range(100):
        book = [r for r in await two.b.acd_config.queue_log() if r.call_id == call]
        if any(r.event == "CONNECT" for r in book):
            break
        await asyncio.sleep(0.1)
    return book


async def test_an_adopter_logs_the_entry_a_dead_engine_never_wrote(
    tmp_path: Path, redis_prefix: str
) -> None:
    """Engine a queues a vendas caller (2002 paused) and dies while its queue-log batch with
    his ENTERQUEUE still waits for the database. Engine b adopts him: b's queue log holds his
    ENTERQUEUE, dated and positioned as he first joined, then the CONNECT to 2001 with his
    whole wait; he counts as offered once on b's floor."""
    async with two_engines(tmp_path, redis_prefix) as two:
        gate = _hold_queue_log(two.acd_a)
        try:
            await two.acd_a.pause("2002", "lunch")
            await two.acd_b.pause("2001", "lunch")
            call = await two.caller_queued_on_a("5511999990003", "Rita")
            joined = two.acd_a.calls[call].entered_at
            await _kill_a(two)
            await eventually(lambda: call in two.acd_b.calls, timeout=20)

            await two.acd_b.unpause("2001")
            await eventually(lambda: call in two.twin.answered_calls, timeout=20)
            book = await _book_of_b(two, call)
            assert [r.event for r in book] == ["ENTERQUEUE", "CONNECT"]
            assert float(book[0].data[2]) == joined and book[0].time >= joined
            assert float(book[1].data[0]) >= book[0].time - joined  # hold since he joined
            (vendas,) = [q for q in two.acd_b.live_view()["queues"] if q["queue"] == "vendas"]
            assert (vendas["offered"], vendas["answered"]) == (1, 1)
        finally:
            gate.set()


async def test_an_adopter_does_not_log_again_an_entry_the_dead_engine_wrote(
    tmp_path: Path, redis_prefix: str
) -> None:
    """Engine a queues a vendas caller (2002 paused), writes his ENTERQUEUE to its database
    and dies. Engine b adopts and connects him to 2001: b's queue log has his CONNECT and no
    second ENTERQUEUE (a's heartbeat told b up to when a's queue log was written)."""
    async with two_engines(tmp_path, redis_prefix) as two:
        await two.acd_a.pause("2002", "lunch")
        await two.acd_b.pause("2001", "lunch")
        call = await two.caller_queued_on_a("5511999990004", "Lia")
        joined = two.acd_a.calls[call].entered_at
        book = two.acd_a.log_book
        await eventually(lambda: (book.written_through or 0.0) >= joined, timeout=20)
        entered = [r for r in await two.a.acd_config.queue_log() if r.call_id == call]
        assert [r.event for r in entered] == ["ENTERQUEUE"]
        await _kill_a(two)
        await eventually(lambda: call in two.acd_b.calls, timeout=20)

        await two.acd_b.unpause("2001")
        await eventually(lambda: call in two.twin.answered_calls, timeout=20)
        book = await _book_of_b(two, call)
        assert [r.event for r in book] == ["CONNECT"]


async def test_an_entry_written_after_the_dead_engines_last_mark_is_found_in_the_database(
    database_url: str,
) -> None:
    """Engines sharing one database: the dead engine wrote a caller's ENTERQUEUE but died
    before its heartbeat carried the mark. The adopter's book (loaded before that write)
    finds it in the database and does not log it again; a caller whose batch never reached
    the database is logged again; with the database away, only the mark vouches."""
    db = make_engine(database_url)
    try:
        dead, adopter = AcdConfigStore(db), AcdConfigStore(db)
        now = time.time()
        book = QueueLogBook(None, adopter.queue_log, finder=adopter.entered)
        await book.load(now)
        written = QueueLogRecord(
            now, "1700.1", "vendas", "NONE", QueueEvent.ENTERQUEUE, ("", "1", repr(now))
        )
        await dead.append_log([written])
        calls = [("1700.1", now), ("1700.2", now), ("1600.9", now - 60)]
        mark = now - 30  # the dead engine's last mark: before both callers joined
        assert await book.entries_logged(calls, mark) == {"1700.1", "1600.9"}
        assert await book.entries_logged(calls, mark, ask_database=False) == {"1600.9"}
    finally:
        await db.dispose()

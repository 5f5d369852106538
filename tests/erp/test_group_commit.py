"""Group commit on its own: batches of the calls waiting, one session for batches in a row, a
failed batch or session reported to its callers only."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from erp_bridge.embedded.group_commit import GroupCommit


class Desk:
    """A fake writer: numbers its sessions, records each batch, refuses odd items and fails
    a whole batch holding "boom"."""

    def __init__(self, *, open_fails: bool = False) -> None:
        self.sessions = 0
        self.closed = 0
        self.batches: list[tuple[int, list[str]]] = []
        self.open_fails = open_fails
        self.open_before: list[int] = []  # sessions still open when one more was opened

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[int]:
        if self.open_fails:
            raise ConnectionError("database down")
        self.open_before.append(self.sessions - self.closed)
        self.sessions += 1
        try:
            yield self.sessions
        finally:
            self.closed += 1

    async def run(self, session: int, items: list[str]) -> list[str | BaseException]:
        self.batches.append((session, items))
        await asyncio.sleep(0)  # the write: callers arriving now wait for the next batch
        if "boom" in items:
            raise RuntimeError("the transaction failed")
        return [ValueError(x) if x.startswith("bad") else x.upper() for x in items]


async def test_waiting_calls_form_batches_on_one_session() -> None:
    """Calls made together form one batch; calls made while it is written form the next, on
    the same session; each caller gets its own answer or refusal."""
    desk = Desk()
    commit: GroupCommit[int, str, str] = GroupCommit(desk.session, desk.run)

    async def agent(items: list[str]) -> list[str]:
        out = []
        for item in items:
            try:
                out.append(await commit.submit(item))
            except ValueError as err:
                out.append(f"refused {err}")
        return out

    got = await asyncio.gather(agent(["a", "b"]), agent(["bad1", "c"]), agent(["d"]))
    assert got == [["A", "B"], ["refused bad1", "C"], ["D"]]
    assert desk.batches == [(1, ["a", "bad1", "d"]), (1, ["b", "c"])]
    assert (desk.sessions, desk.closed) == (1, 1)


async def test_a_failed_batch_fails_its_callers_and_the_next_gets_a_new_session() -> None:
    """A batch that fails as a whole answers its callers with the error; the session is
    closed and the next calls get a new one."""
    desk = Desk()
    commit: GroupCommit[int, str, str] = GroupCommit(desk.session, desk.run)
    outcomes = await asyncio.gather(
        commit.submit("x"), commit.submit("boom"), return_exceptions=True
    )
    assert [type(x) for x in outcomes] == [RuntimeError, RuntimeError]
    assert await commit.submit("y") == "Y"
    assert desk.batches == [(1, ["x", "boom"]), (2, ["y"])]
    assert desk.open_before == [0, 0]  # the failed session was closed first


async def test_same_key_waits_for_the_next_batch_and_limit_splits() -> None:
    """Items with the same ``apart`` key never share a batch; a batch holds at most
    ``limit`` items."""
    desk = Desk()
    commit: GroupCommit[int, str, str] = GroupCommit(
        desk.session, desk.run, limit=3, apart=lambda x: x[0]
    )
    got = await asyncio.gather(*(commit.submit(x) for x in ["a1", "a2", "b1", "c1", "d1"]))
    assert got == ["A1", "A2", "B1", "C1", "D1"]
    assert [items for _, items in desk.batches] == [["a1", "b1", "c1"], ["a2", "d1"]]


async def test_a_cancelled_caller_is_left_out() -> None:
    """A caller that gives up before its batch starts is not in the batch."""
    desk = Desk()
    commit: GroupCommit[int, str, str] = GroupCommit(desk.session, desk.run)
    gone = asyncio.ensure_future(commit.submit("gone"))
    kept = asyncio.ensure_future(commit.submit("kept"))
    await asyncio.sleep(0)  # both queued, the batch not started yet
    gone.cancel()
    assert await kept == "KEPT"
    assert [items for _, items in desk.batches] == [["kept"]]


async def test_no_session_fails_the_waiting_callers() -> None:
    """When no session can be opened (the database is down) the waiting callers get the
    error instead of waiting for ever."""
    desk = Desk(open_fails=True)
    commit: GroupCommit[int, str, str] = GroupCommit(desk.session, desk.run)
    with pytest.raises(ConnectionError):
        await commit.submit("x")
    assert desk.batches == []


async def test_waiting_says_whether_calls_queue_for_the_next_batch() -> None:
    """While a batch is written, ``waiting`` is false until a call queues for the next batch
    (the writer may then begin that batch's transaction with its commit), and false again
    once that call gave up."""
    seen: list[bool] = []
    queued = asyncio.Event()
    late: list[asyncio.Task[str]] = []

    async def run(session: int, items: list[str]) -> list[str | BaseException]:
        if items == ["first"]:
            seen.append(commit.waiting)
            await queued.wait()
            seen.append(commit.waiting)
            late[0].cancel()
            await asyncio.sleep(0)
            seen.append(commit.waiting)
        return [x.upper() for x in items]

    @contextlib.asynccontextmanager
    async def session() -> AsyncIterator[int]:
        yield 1

    commit: GroupCommit[int, str, str] = GroupCommit(session, run)

    async def second() -> None:
        await asyncio.sleep(0)  # the first call's batch is being written
        late.append(asyncio.ensure_future(commit.submit("second")))
        await asyncio.sleep(0)
        queued.set()
        with contextlib.suppress(asyncio.CancelledError):
            await late[0]

    first, _ = await asyncio.gather(commit.submit("first"), second())
    assert first == "FIRST"
    assert seen == [False, True, False]

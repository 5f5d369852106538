"""Group commit: calls that arrive while a batch is being written wait and go together in the
next one (one transaction, one commit), each caller getting its own result or error.

A batch starts as soon as the first call arrives (a lone call waits for nothing); while it is
written, later calls queue, and they form the next batch. A caller cancelled before its batch
starts is left out of it. Batches that follow one another share a session (a database
connection, kept while there are calls waiting).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Hashable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Generic, TypeVar

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")


@dataclass
class _Waiting(Generic[T, R]):
    item: T
    future: asyncio.Future[R]


class GroupCommit(Generic[S, T, R]):
    """Runs ``run(session, batch)`` on batches of up to ``limit`` submitted items, one batch
    at a time, in a ``session()`` opened for a run of consecutive batches. ``run`` returns
    one outcome per item (a result or an exception for that item alone); if it raises, every
    item of the batch gets that error and the session is closed (the next batch opens
    another). Items whose ``apart`` value (when not None) is already in the batch wait for
    the next one (e.g. two calls with the same idempotency key: the second then finds the
    first one's stored answer)."""

    def __init__(
        self,
        session: Callable[[], AbstractAsyncContextManager[S]],
        run: Callable[[S, list[T]], Awaitable[Sequence[R | BaseException]]],
        *,
        limit: int = 32,
        apart: Callable[[T], Hashable | None] = lambda item: None,
    ) -> None:
        self._session = session
        self._run = run
        self._limit = limit
        self._apart = apart
        self._waiting: list[_Waiting[T, R]] = []
        self._task: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        """Queue ``item`` and wait for its outcome."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._waiting.append(_Waiting(item, future))
        task = self._task
        if task is None or task.done() or task.get_loop() is not loop:
            # a context of its own: the first caller's bound log fields are not the batch's
            self._task = loop.create_task(self._drain(), context=contextvars.Context())
        return await future

    @property
    def waiting(self) -> bool:
        """Whether calls are queued for the next batch (while one is being written)."""
        return any(not w.future.done() for w in self._waiting)

    def _next_batch(self) -> list[_Waiting[T, R]]:
        batch: list[_Waiting[T, R]] = []
        later: list[_Waiting[T, R]] = []
        seen: set[Hashable] = set()
        for waiting in self._waiting:
            if waiting.future.done():  # the caller gave up (cancelled)
                continue
            mark = self._apart(waiting.item)
            if len(batch) >= self._limit or (mark is not None and mark in seen):
                later.append(waiting)
                continue
            if mark is not None:
                seen.add(mark)
            batch.append(waiting)
        self._waiting = later
        return batch

    async def _drain(self) -> None:
        try:
            while self._waiting:
                opened = False
                try:
                    async with self._session() as session:
                        opened = True
                        await self._batches(session)
                except Exception as err:
                    if not opened:  # no session: the next batch's callers get why
                        batch = self._next_batch()
                        self._answer(batch, [err] * len(batch))
        except BaseException:  # cancelled (the loop is closing): so are the callers
            for waiting in self._waiting:
                waiting.future.cancel()
            self._waiting.clear()
            raise

    async def _batches(self, session: S) -> None:
        """Batches in ``session`` while calls are waiting; raises after a failed batch."""
        while self._waiting:
            batch = self._next_batch()
            if not batch:
                continue
            failed: Exception | None = None
            try:
                outcomes: Sequence[R | BaseException] = await self._run(
                    session, [w.item for w in batch]
                )
            except Exception as err:  # the batch as a whole failed: each caller gets it
                outcomes, failed = [err] * len(batch), err
            except BaseException:
                for waiting in batch:
                    waiting.future.cancel()
                raise
            self._answer(batch, outcomes)
            if failed is not None:
                raise failed
            await asyncio.sleep(0)  # the callers just answered may queue their next call

    @staticmethod
    def _answer(batch: list[_Waiting[T, R]], outcomes: Sequence[R | BaseException]) -> None:
        for waiting, outcome in zip(batch, outcomes, strict=True):
            if waiting.future.done():
                continue
            if isinstance(outcome, BaseException):
                waiting.future.set_exception(outcome)
            else:
                waiting.future.set_result(outcome)

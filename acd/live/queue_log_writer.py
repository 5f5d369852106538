"""The ACD's queue log: today's records (the statistics' source) and their writer task.

Records come from the router (``drain_log``) and from the adapters for calls the router does
not hold (restored busy calls). A caller re-entered after a restart is logged ``ENTERQUEUE``
once. Batches go to the writer (the SQL table) in one owned task, in order; under traffic (a
batch of ``BUSY_BATCH`` records or more) at most one per ``interval`` (0.2 s), so records are
gathered into fewer transactions; otherwise at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence

import structlog

from acd.domain import QueueConfig, QueueEvent, QueueLogRecord, StatsSnapshot, stats_from_log

log = structlog.get_logger("acd.live")

LogWriter = Callable[[Sequence[QueueLogRecord]], Awaitable[None]]
LogLoader = Callable[[float], Awaitable[list[QueueLogRecord]]]
DAY = 86400.0
#: a batch this large means traffic: the next write waits for the rest of ``interval``
BUSY_BATCH = 20


class QueueLogBook:
    """Today's queue log in memory, written through ``writer`` by :meth:`run`."""

    def __init__(
        self, writer: LogWriter | None, loader: LogLoader | None, interval: float = 0.2
    ) -> None:
        self._writer = writer
        #: at most one write per ``interval`` s: records coming meanwhile join the next batch
        self.interval = interval
        self._loader = loader
        self.history: list[QueueLogRecord] = []
        #: callers re-entered after a restart (their ENTERQUEUE was logged before)
        self.restored: set[str] = set()
        self._own: list[QueueLogRecord] = []
        self._queue: asyncio.Queue[list[QueueLogRecord] | None] = asyncio.Queue()
        self._stats: tuple[tuple[int, int], StatsSnapshot] | None = None

    async def load(self, now: float) -> None:
        """Today's records from the loader."""
        if self._loader is not None:
            self.history = await self._loader(now - now % DAY)

    def own(self, record: QueueLogRecord) -> None:
        """A record the adapters write themselves (the router does not hold the call)."""
        self._own.append(record)

    def add(self, router_records: Iterable[QueueLogRecord]) -> None:
        """Take the adapters' and the router's new records (in that order) and queue them."""
        records = self._own + list(router_records)
        self._own = []
        if self.restored:
            kept = []
            for r in records:
                if r.event is QueueEvent.ENTERQUEUE and r.call_id in self.restored:
                    self.restored.discard(r.call_id)
                    continue
                kept.append(r)
            records = kept
        if not records:
            return
        self.history += records
        if self._writer is not None:
            self._queue.put_nowait(records)

    def forget_before(self, now: float) -> None:
        """Drop yesterday's records (the statistics are today's)."""
        since = now - now % DAY
        if self.history and self.history[0].time < since:
            self.history = [r for r in self.history if r.time >= since]

    def stats(self, configs: dict[str, QueueConfig], now: float) -> StatsSnapshot:
        """Today's statistics (recomputed when the log grew, or each second)."""
        key = (len(self.history), int(now))
        if self._stats is None or self._stats[0] != key:
            since = now - now % DAY
            today = (r for r in self.history if r.time >= since)
            self._stats = (key, stats_from_log(today, configs, now))
        return self._stats[1]

    def configs_changed(self) -> None:
        """Recompute the statistics at the next query."""
        self._stats = None

    async def run(self) -> None:
        """Write batches as they come; :meth:`close` ends it after the rest."""
        loop = asyncio.get_running_loop()
        last, busy = float("-inf"), False
        while True:
            item = await self._queue.get()
            wait = last + self.interval - loop.time()
            if item is not None and busy and wait > 0:
                await asyncio.sleep(wait)  # a busy engine writes fewer, larger batches
            batch = [] if item is None else item
            done = item is None
            while not self._queue.empty():
                more = self._queue.get_nowait()
                done = done or more is None
                batch += more or []
            if batch:
                await self._write(batch)
                last, busy = loop.time(), len(batch) >= BUSY_BATCH
            if done:
                return

    def close(self) -> None:
        """Ask :meth:`run` to finish after what is queued."""
        self._queue.put_nowait(None)

    async def flush(self) -> None:
        """Write what is still queued (after :meth:`run` ended or timed out)."""
        batch: list[QueueLogRecord] = []
        while not self._queue.empty():
            batch += self._queue.get_nowait() or []
        if batch and self._writer is not None:
            await self._write(batch)

    async def _write(self, batch: list[QueueLogRecord]) -> None:
        assert self._writer is not None
        try:
            await self._writer(batch)
        except Exception:
            log.exception("acd_queue_log_write_failed", records=len(batch))

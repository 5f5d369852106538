"""The ACD's queue log: today's records, the statistics kept from them, and their writer task.

Records come from the router (``drain_log``) and from the adapters for calls the router does
not hold (restored busy calls). A caller re-entered after a restart is logged ``ENTERQUEUE``
once. Batches go to the writer (the SQL table) in one owned task, in order, at most one per
``interval`` (0.2 s): the first records after a quiet spell are written at once, records that
come within ``interval`` of the last write are gathered into the next transaction. "Today"
is the day in the site's time zone; the statistics are folded record by record as records
arrive (:class:`acd.domain.LogStats`), never recomputed from the whole day on a query.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import structlog

from acd.domain import LogStats, QueueConfig, QueueEvent, QueueLogRecord, StatsSnapshot

log = structlog.get_logger("acd.live")

LogWriter = Callable[[Sequence[QueueLogRecord]], Awaitable[None]]
LogLoader = Callable[[float], Awaitable[list[QueueLogRecord]]]
EntryFinder = Callable[[Sequence[str], float], Awaitable[set[str]]]
"""Which of these callers have an ENTERQUEUE in the database since this time."""


def day_start(now: float, zone: ZoneInfo) -> float:
    """The epoch of the last midnight in ``zone`` at ``now``."""
    local = datetime.fromtimestamp(now, zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def period(now: float, zone: ZoneInfo) -> dict[str, str]:
    """The period today's statistics cover: from the site's midnight to ``now`` (ISO 8601 in
    the site's zone) and the zone's name."""
    return {
        "from": datetime.fromtimestamp(day_start(now, zone), zone).isoformat(),
        "to": datetime.fromtimestamp(now, zone).isoformat(timespec="seconds"),
        "time_zone": zone.key,
    }


DAY = 86400.0


class QueueLogBook:
    """Today's queue log in memory, written through ``writer`` by :meth:`run`."""

    def __init__(
        self,
        writer: LogWriter | None,
        loader: LogLoader | None,
        zone: ZoneInfo | None = None,
        interval: float = 0.2,
        finder: EntryFinder | None = None,
    ) -> None:
        self._writer = writer
        self._finder = finder
        #: at most one write per ``interval`` s: records coming meanwhile join the next batch
        self.interval = interval
        self._loader = loader
        self.zone = zone or ZoneInfo("UTC")
        self.history: list[QueueLogRecord] = []
        #: callers re-entered after a restart (their ENTERQUEUE was logged before)
        self.restored: set[str] = set()
        #: the records up to this time are in the database (the heartbeat tells an adopter)
        self.written_through: float | None = None
        #: told ``written_through`` after each batch written
        self.on_written: Callable[[float], None] | None = None
        self._own: list[QueueLogRecord] = []
        self._queue: asyncio.Queue[list[QueueLogRecord] | None] = asyncio.Queue()
        self._day = float("-inf")
        self._entered: set[str] | None = None
        self._configs: dict[str, QueueConfig] | None = None
        self._stats = LogStats({})

    async def load(self, now: float) -> None:
        """Today's records from the loader."""
        self._day = day_start(now, self.zone)
        if self._loader is not None:
            self.history = await self._loader(self._day)
        self._entered = None
        self._configs = None  # folded at the first query, with the queues then configured

    async def entries_logged(
        self, calls: Sequence[tuple[str, float]], through: float | None, ask_database: bool = True
    ) -> set[str]:
        """Which callers taken over (after a restart, or from a dead engine), given as
        (call id, entered at), already have their ENTERQUEUE in the database: written by
        their engine before its last heartbeat's mark ``through``, among today's records read
        at the start, or found there now (a dead engine may have written a batch after its
        last mark). A record still in a batch when the engine died was lost: the caller is
        then logged again, once."""
        if self._entered is None:
            self._entered = {r.call_id for r in self.history if r.event is QueueEvent.ENTERQUEUE}
        logged = {
            call_id
            for call_id, entered_at in calls
            if (through is not None and entered_at <= through) or call_id in self._entered
        }
        rest = [call_id for call_id, _ in calls if call_id not in logged]
        if rest and ask_database and self._finder is not None:
            logged |= await self._finder(rest, self._day)
        return logged

    def own(self, record: QueueLogRecord) -> None:
        """A record the adapters write themselves (the router does not hold the call)."""
        self._own.append(record)

    def add(self, router_records: Iterable[QueueLogRecord]) -> None:
        """Take the adapters' and the router's new records (in that order), fold them into the
        statistics and queue them for the writer."""
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
        if self._configs is not None:
            for r in records:
                if r.time >= self._day:
                    self._stats.add(r)
        if self._writer is not None:
            self._queue.put_nowait(records)

    def forget_before(self, now: float) -> None:
        """A new day in the site's zone: yesterday's records are dropped, the statistics
        start again from today's records."""
        since = day_start(now, self.zone)
        if since != self._day:
            self._day = since
            self.history = [r for r in self.history if r.time >= since]
            self._entered = None
            self._configs = None

    def stats(self, configs: dict[str, QueueConfig], now: float) -> StatsSnapshot:
        """Today's statistics at ``now`` from the kept counters (folded again from today's
        records only after a new day or a change of the queues' settings)."""
        if day_start(now, self.zone) != self._day:
            self.forget_before(now)
        if self._configs != configs:
            self._configs = dict(configs)
            self._stats = LogStats(configs)
            for r in self.history:
                if r.time >= self._day:
                    self._stats.add(r)
        return self._stats.snapshot(now)

    def configs_changed(self) -> None:
        """Fold today's records again at the next query (settings such as the service-level
        time apply to the whole day, as a rebuild from the log would)."""
        self._configs = None

    async def run(self) -> None:
        """Write batches as they come; :meth:`close` ends it after the rest."""
        loop = asyncio.get_running_loop()
        last = float("-inf")
        while True:
            item = await self._queue.get()
            wait = last + self.interval - loop.time()
            if item is not None and wait > 0:
                await asyncio.sleep(wait)  # a busy engine writes fewer, larger batches
            batch = [] if item is None else item
            done = item is None
            while not self._queue.empty():
                more = self._queue.get_nowait()
                done = done or more is None
                batch += more or []
            if batch:
                await self._write(batch)
                last = loop.time()
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
            last = max(r.time for r in batch)
            self.written_through = max(last, self.written_through or last)
            if self.on_written is not None:
                self.on_written(self.written_through)
        except Exception:
            log.exception("acd_queue_log_write_failed", records=len(batch))

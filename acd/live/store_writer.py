"""The ACD's writes to its shared store, off the routing path and through store outages.

:class:`StoreWriter` wraps an :class:`AcdStore`: the engine's memory is the truth while it runs.
Writes update a mirror and go to the store in order from one owned task; when the store fails
(Redis unreachable) the writer keeps them, retries, and once the store answers again rewrites
the engine's whole share (its agents, its calls, its reservations), so a Redis that came back
empty is refilled. A reservation asked while the store is away is granted from memory (one
engine keeps routing) and written when it returns. Reads at start are retried, then start
empty.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog

from acd.live.call import StoredCall
from acd.live.store import AcdStore, ShareAdopted, StoreBatch, StoredAgent

log = structlog.get_logger("acd.live")

#: errors that mean "the store is away" (redis-py raises ConnectionError/TimeoutError
#: subclasses of its own RedisError; OSError covers a refused socket)
_AWAY: tuple[type[BaseException], ...] = (OSError, TimeoutError, ConnectionError)
try:  # pragma: no branch
    from redis.exceptions import RedisError

    _AWAY = (*_AWAY, RedisError)
except ImportError:  # pragma: no cover
    pass

T = TypeVar("T")
UNKNOWN = "?"  # a reservation that could not be read


class StoreWriter:
    """The ACD's store port, with writes queued and an in-memory mirror of its share."""

    def __init__(
        self, store: AcdStore, engine_id: str, retry: float = 0.5, interval: float = 0.05
    ) -> None:
        self.store = store
        self.engine_id = engine_id
        self.retry = retry
        #: at most one batch per ``interval`` s: the first change after a quiet spell is
        #: written at once, changes meanwhile join the next batch
        self.interval = interval
        self._written_at = float("-inf")
        self.agents: dict[str, StoredAgent] = {}
        self.calls: dict[str, StoredCall] = {}
        self.reserved: dict[str, str] = {}  # agent -> our call
        #: agent -> calls whose release is queued but not written yet
        self._releasing: dict[str, set[str]] = {}
        self._removed_agents: set[str] = set()
        self._removed_calls: set[str] = set()
        # what the next batch writes: agents and calls changed since the last batch (written
        # as they are then), releases in order, the last heartbeat, reservations granted
        # from memory while the store was away
        self._dirty_agents: dict[str, None] = {}
        self._dirty_calls: dict[str, None] = {}
        self._releases: list[tuple[str, str]] = []
        self._beat: tuple[str, float, float | None] | None = None
        self._reserves: list[tuple[str, str, str]] = []
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self.away = False  # the last write failed: a full rewrite follows its return
        self.last_beat_at: float | None = None
        self.logged_at: float | None = None

    # ------------------------------------------------------------------ writes (never wait)
    def _queued(self) -> None:
        self._idle.clear()
        self._wake.set()

    @property
    def _pending(self) -> bool:
        return bool(
            self._dirty_agents or self._dirty_calls or self._releases or self._beat
            or self._reserves
        )  # fmt: skip

    async def save_agent(self, agent: StoredAgent) -> None:
        self.agents[agent.agent_id] = agent
        self._removed_agents.discard(agent.agent_id)
        self._dirty_agents[agent.agent_id] = None
        self._queued()

    async def remove_agent(self, agent_id: str) -> None:
        self.agents.pop(agent_id, None)
        self._removed_agents.add(agent_id)
        self._dirty_agents[agent_id] = None
        self._queued()

    async def save_call(self, call: StoredCall) -> None:
        self.calls[call.call_id] = call
        self._removed_calls.discard(call.call_id)
        self._dirty_calls[call.call_id] = None
        self._queued()

    async def remove_call(self, call_id: str) -> None:
        self.calls.pop(call_id, None)
        self._removed_calls.add(call_id)
        self._dirty_calls[call_id] = None
        self._queued()

    async def release(self, agent_id: str, call_id: str) -> None:
        if self.reserved.get(agent_id) == call_id:
            del self.reserved[agent_id]
        self._releasing.setdefault(agent_id, set()).add(call_id)
        self._releases.append((agent_id, call_id))
        self._queued()

    def _all_released(self, agent_id: str, call_ids: list[str]) -> None:
        for call_id in call_ids:
            self._released(agent_id, call_id)

    def _released(self, agent_id: str, call_id: str) -> None:
        pending = self._releasing.get(agent_id)
        if pending is not None:
            pending.discard(call_id)
            if not pending:
                del self._releasing[agent_id]

    def forget_call(self, call_id: str, agent_id: str | None) -> None:
        """Another engine owns the call now: drop it (and our reservation of its agent) from
        the mirror without writing anything."""
        self.calls.pop(call_id, None)
        self._dirty_calls.pop(call_id, None)
        self._removed_calls.discard(call_id)
        if agent_id is not None and self.reserved.get(agent_id) == call_id:
            del self.reserved[agent_id]

    async def beat(self, engine_id: str, at: float) -> None:
        """Queued: the heartbeat, with up to when the queue log is written (:meth:`logged`)."""
        self.last_beat_at = at
        self._beat = (engine_id, at, self.logged_at)
        self._queued()

    def logged(self, through: float) -> None:
        """The queue log is in the database up to ``through``: the next batch says so with
        the last heartbeat (an adopter then logs only the callers who entered later)."""
        self.logged_at = through
        if self.last_beat_at is not None:
            self._beat = (self.engine_id, self.last_beat_at, through)
            self._queued()

    # ------------------------------------------------------------------ reads and reservations
    async def reserve(self, agent_id: str, call_id: str, owner: str) -> bool:
        """Atomic in the store; from memory while the store is away. Our own releases of
        the agent still queued are written first, in the same round trip (else a backlog of
        writes would show him reserved by a call that ended)."""
        if not self.away:
            released = list(self._releasing.get(agent_id, ()))
            try:
                try:
                    granted = await self.store.reserve(agent_id, call_id, owner, released)
                except ShareAdopted:  # the releases were written all the same
                    self._all_released(agent_id, released)
                    raise
            except _AWAY as exc:
                self._went_away(exc)
            else:
                self._all_released(agent_id, released)
                if granted:
                    self.reserved[agent_id] = call_id
                return granted
        held = self.reserved.get(agent_id)
        if held is not None and held != call_id:
            return False
        self.reserved[agent_id] = call_id
        self._reserves.append((agent_id, call_id, owner))
        self._queued()
        return True

    async def reservation(self, agent_id: str) -> str | None:
        """Who holds the agent (``UNKNOWN`` while the store is away)."""
        if self.away:
            return UNKNOWN
        try:
            return await self.store.reservation(agent_id)
        except _AWAY as exc:
            self._went_away(exc)
            return UNKNOWN

    async def agents_at_start(self) -> list[StoredAgent]:
        return await self._read(self.store.agents, [])

    async def calls_at_start(self) -> list[StoredCall]:
        return await self._read(self.store.calls, [])

    async def calls_now(self) -> list[StoredCall]:
        """Every engine's calls in the store (this engine's own while the store is away)."""
        if not self.away:
            try:
                return await self.store.calls()
            except _AWAY as exc:
                self._went_away(exc)
        return list(self.calls.values())

    async def last_beat(self, engine_id: str) -> float | None:
        return await self._read(lambda: self.store.last_beat(engine_id), None)

    async def logged_through(self, engine_id: str) -> float | None:
        return await self._read(lambda: self.store.logged_through(engine_id), None)

    # ------------------------------------------------------------------ leases (never queued)
    async def join(self, engine_id: str, instance: str, ttl: float) -> bool:
        """Our lease at start (see :meth:`AcdStore.join`); False while the store is away."""
        return await self._read(lambda: self.store.join(engine_id, instance, ttl), False)

    async def renew(self, engine_id: str, instance: str, ttl: float) -> bool | None:
        """Renew our lease: None while the store is away (nothing is judged then)."""
        if self.away:
            return None
        try:
            return await self.store.renew(engine_id, instance, ttl)
        except _AWAY as exc:
            self._went_away(exc)
            return None

    async def share_lost_seen(self, engine_id: str) -> None:
        """The adopted calls are handed over: our reservations are allowed again (kept
        refused while the store is away: the renewal after its return says so again)."""
        if self.away:
            return
        try:
            await self.store.share_lost_seen(engine_id)
        except _AWAY as exc:
            self._went_away(exc)

    async def expired(self, engine_id: str) -> list[str]:
        """Engines whose lease expired ([] while the store is away)."""
        if self.away:
            return []
        try:
            return await self.store.expired(engine_id)
        except _AWAY as exc:
            self._went_away(exc)
            return []

    async def adopt(self, dead: str, adopter: str) -> list[StoredCall] | None:
        """Claim a dead engine's share (None: not ours, or the store is away)."""
        if self.away:
            return None
        try:
            return await self.store.adopt(dead, adopter)
        except _AWAY as exc:
            self._went_away(exc)
            return None

    async def agents_now(self) -> list[StoredAgent]:
        """Every agent in the store (this engine's own while the store is away)."""
        if not self.away:
            try:
                return await self.store.agents()
            except _AWAY as exc:
                self._went_away(exc)
        return list(self.agents.values())

    async def _read(self, read: Callable[[], Awaitable[T]], empty: T) -> T:
        for attempt in range(3):
            try:
                return await read()
            except _AWAY as exc:
                log.warning("acd_store_read_failed", attempt=attempt + 1, error=str(exc))
                await asyncio.sleep(self.retry)
        log.error("acd_store_unreachable_at_start")
        self.away = True
        return empty

    # ------------------------------------------------------------------ the writer task
    async def run(self) -> None:
        """Write in batches; on failure wait, retry, and rewrite everything once back."""
        while True:
            if not self._pending and not self.away:
                self._removed_agents.clear()
                self._removed_calls.clear()
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
                continue
            try:
                if self.away:
                    await self._rewrite()
                    continue
                loop = asyncio.get_running_loop()
                wait = self._written_at + self.interval - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                self._written_at = loop.time()
                await self.write_pending()
            except _AWAY as exc:
                self._went_away(exc)
                await asyncio.sleep(self.retry)
            except Exception:
                log.exception("acd_store_write_failed")

    async def write_pending(self) -> None:
        """One batch: what changed since the last one, in one round trip. On failure the
        store is away: the rewrite that follows its return covers the batch."""
        batch = StoreBatch(
            agents={a: self.agents.get(a) for a in self._dirty_agents},
            calls={c: self.calls.get(c) for c in self._dirty_calls},
            releases=self._releases,
            beat=self._beat,
        )
        reserves = self._reserves
        self._dirty_agents, self._dirty_calls, self._releases = {}, {}, []
        self._beat, self._reserves = None, []
        for agent_id, call_id, owner in reserves:
            await self._reserve_queued(agent_id, call_id, owner)
        if batch:
            await self.store.write(batch)
        for agent_id, call_id in batch.releases:
            self._released(agent_id, call_id)

    async def _reserve_queued(self, agent_id: str, call_id: str, owner: str) -> None:
        """A reservation granted from memory reaches the store (not if our share was adopted
        meanwhile: the lease task hands the adopted calls over at its next renewal)."""
        try:
            await self.store.reserve(agent_id, call_id, owner)
        except ShareAdopted:
            log.warning("acd_reservation_not_written", agent=agent_id, linkedid=call_id)

    async def drain(self) -> None:
        """Until every queued write reached the store (stop, tests)."""
        await self._idle.wait()

    def _went_away(self, exc: BaseException) -> None:
        if not self.away:
            log.error("acd_store_away", error=str(exc))
        self.away = True
        self._wake.set()
        self._idle.clear()

    async def _rewrite(self) -> None:
        """The store answers again: write the engine's whole share, drop what it removed."""
        await self.store.reservation("")  # raises while still away
        # the whole share is written below: what was queued is covered
        self._dirty_agents, self._dirty_calls, self._releases = {}, {}, []
        self._beat, self._reserves = None, []
        for agent in list(self.agents.values()):
            await self.store.save_agent(agent)
        for agent_id in list(self._removed_agents - set(self.agents)):
            await self.store.remove_agent(agent_id)
        for call in list(self.calls.values()):
            await self.store.save_call(call)
        for call_id in list(self._removed_calls - set(self.calls)):
            await self.store.remove_call(call_id)
        for agent_id, released in list(self._releasing.items()):
            for call_id in list(released):  # the queued releases are dropped below
                await self.store.release(agent_id, call_id)
        for agent_id, call_id in list(self.reserved.items()):
            await self._reserve_queued(agent_id, call_id, self.engine_id)
        if self.last_beat_at is not None:
            await self.store.beat(self.engine_id, self.last_beat_at, self.logged_at)
        self._removed_agents.clear()
        self._removed_calls.clear()
        self._releasing.clear()
        self.away = False
        log.info(
            "acd_store_rewritten", agents=len(self.agents), calls=len(self.calls),
            reservations=len(self.reserved),
        )  # fmt: skip

    async def close(self) -> None:
        await self.store.close()

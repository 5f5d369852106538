"""Where the ACD keeps its live state so a restarted engine resumes: agents, calls, reservations.

Two stores behind one port: :class:`RedisStore` (shared by every engine process; the agent
reservation is one atomic ``SET NX``) and :class:`MemoryStore` (one process, no Redis).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Protocol

import redis.asyncio as aioredis

from acd.live.call import CallState, StoredCall
from acd.live.redis_connection import TimedWriteConnection

__all__ = [
    "AcdStore", "CallState", "MemoryStore", "RedisStore", "ShareAdopted", "StoredAgent",
    "StoredCall",
]  # fmt: skip


class ShareAdopted(Exception):
    """A reservation refused because another engine adopted this engine's share while it ran
    (its lease expired unseen): nothing of that share may be offered until the engine has
    handed the adopted calls over (:meth:`AcdStore.share_lost_seen` then lifts the refusal)."""


@dataclass
class StoredAgent:
    """A logged-in agent: skills, interface, pause reason (None: not paused)."""

    agent_id: str
    interface: str
    skills: dict[str, int]
    paused: str | None = None


@dataclass
class StoreBatch:
    """Writes applied in one round trip: agents and calls to save (or remove: None), our
    reservations to release (compare and delete), the engine's heartbeat (engine, time and
    the time its queue log is written up to)."""

    agents: dict[str, StoredAgent | None] = field(default_factory=dict)
    calls: dict[str, StoredCall | None] = field(default_factory=dict)
    releases: list[tuple[str, str]] = field(default_factory=list)
    beat: tuple[str, float, float | None] | None = None

    def __bool__(self) -> bool:
        return bool(self.agents or self.calls or self.releases or self.beat)


class AcdStore(Protocol):
    """The port: every method is a small atomic step."""

    async def write(self, batch: StoreBatch) -> None: ...
    async def save_agent(self, agent: StoredAgent) -> None: ...
    async def remove_agent(self, agent_id: str) -> None: ...
    async def agents(self) -> list[StoredAgent]: ...
    async def save_call(self, call: StoredCall) -> None: ...
    async def remove_call(self, call_id: str) -> None: ...
    async def calls(self) -> list[StoredCall]: ...
    async def reserve(
        self, agent_id: str, call_id: str, owner: str, released: Sequence[str] = ()
    ) -> bool:
        """The agent is ours (engine ``owner``) for ``call_id`` unless someone holds him;
        raises :class:`ShareAdopted` while ``owner``'s share is marked adopted. Our own
        reservations of him for the calls in ``released`` are released first, in the same
        step."""
        ...

    async def release(self, agent_id: str, call_id: str) -> None: ...
    async def reservation(self, agent_id: str) -> str | None: ...
    async def beat(self, engine_id: str, at: float, logged: float | None = None) -> None:
        """The engine was alive at ``at``; its queue log is written up to ``logged``."""
        ...

    async def last_beat(self, engine_id: str) -> float | None: ...
    async def logged_through(self, engine_id: str) -> float | None:
        """Up to when ``engine_id``'s queue log was written (its records up to that time are
        in the database), as its last heartbeat said."""
        ...

    async def join(self, engine_id: str, instance: str, ttl: float) -> bool: ...
    async def renew(self, engine_id: str, instance: str, ttl: float) -> bool: ...
    async def share_lost_seen(self, engine_id: str) -> None: ...
    async def expired(self, engine_id: str) -> list[str]: ...
    async def adopt(self, dead: str, adopter: str) -> list[StoredCall] | None: ...
    async def close(self) -> None: ...


class MemoryStore:
    """In-process store (the demo without Redis); same behaviour as :class:`RedisStore`."""

    def __init__(self) -> None:
        self._agents: dict[str, StoredAgent] = {}
        self._calls: dict[str, StoredCall] = {}
        self._reservations: dict[str, str] = {}
        self._beats: dict[str, float] = {}
        self._logged: dict[str, float] = {}

    async def write(self, batch: StoreBatch) -> None:
        for agent_id, agent in batch.agents.items():
            await (self.remove_agent(agent_id) if agent is None else self.save_agent(agent))
        for call_id, call in batch.calls.items():
            await (self.remove_call(call_id) if call is None else self.save_call(call))
        for agent_id, call_id in batch.releases:
            await self.release(agent_id, call_id)
        if batch.beat is not None:
            await self.beat(*batch.beat)

    async def save_agent(self, agent: StoredAgent) -> None:
        self._agents[agent.agent_id] = agent

    async def remove_agent(self, agent_id: str) -> None:
        self._agents.pop(agent_id, None)

    async def agents(self) -> list[StoredAgent]:
        return list(self._agents.values())

    async def save_call(self, call: StoredCall) -> None:
        self._calls[call.call_id] = call

    async def remove_call(self, call_id: str) -> None:
        self._calls.pop(call_id, None)

    async def calls(self) -> list[StoredCall]:
        return list(self._calls.values())

    async def reserve(
        self, agent_id: str, call_id: str, owner: str, released: Sequence[str] = ()
    ) -> bool:
        for done in released:
            await self.release(agent_id, done)
        if agent_id in self._reservations:
            return self._reservations[agent_id] == call_id
        self._reservations[agent_id] = call_id
        return True

    async def release(self, agent_id: str, call_id: str) -> None:
        if self._reservations.get(agent_id) == call_id:
            del self._reservations[agent_id]

    async def reservation(self, agent_id: str) -> str | None:
        return self._reservations.get(agent_id)

    async def beat(self, engine_id: str, at: float, logged: float | None = None) -> None:
        self._beats[engine_id] = at
        if logged is not None:
            self._logged[engine_id] = logged

    async def last_beat(self, engine_id: str) -> float | None:
        return self._beats.get(engine_id)

    async def logged_through(self, engine_id: str) -> float | None:
        return self._logged.get(engine_id)

    # one process: no other engine holds a lease, nothing to adopt
    async def join(self, engine_id: str, instance: str, ttl: float) -> bool:
        return False

    async def renew(self, engine_id: str, instance: str, ttl: float) -> bool:
        return True

    async def share_lost_seen(self, engine_id: str) -> None:
        return None

    async def expired(self, engine_id: str) -> list[str]:
        return []

    async def adopt(self, dead: str, adopter: str) -> list[StoredCall] | None:
        return None

    async def close(self) -> None:
        return None


# Reserve an agent for a call: refused (-1) while the reserving engine's share is marked
# adopted, granted (1) when free or already ours for this call, else 0. Our reservations of
# him for earlier calls (ARGV[2:]) are released first (compare and delete, as in _RELEASE).
# KEYS: reservation, adopted mark of the reserving engine; ARGV: call, released calls
_RESERVE = """
for i = 2, #ARGV do
  if redis.call('GET', KEYS[1]) == ARGV[i] then redis.call('DEL', KEYS[1]) end
end
if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then return 1 end
return 0
"""


# Release only our own reservations (compare and delete in one step), in order.
# KEYS: reservations; ARGV: the call each is ours for
_RELEASE = """
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[i] then redis.call('DEL', KEYS[i]) end
end
return 0
"""


# Join at start: our lease, our name among the engines; says whether our share was adopted.
# KEYS: lease, engines, adopted; ARGV: engine, instance, ttl (ms)
_JOIN = """
local adopted = redis.call('DEL', KEYS[3])
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('SADD', KEYS[2], ARGV[1])
return adopted
"""

# Renew (every tick); 0 while another engine's adoption of our share is marked (the mark stays
# until the engine has handed the adopted calls over: ``share_lost_seen``).
_RENEW = """
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('SADD', KEYS[2], ARGV[1])
return 1 - redis.call('EXISTS', KEYS[3])
"""

# Adopt a dead engine's share, atomically: only while its lease is gone, only once (the engine
# leaves the set), every call it owned rewritten to the adopter. Returns {} when not ours,
# else {'adopted', call, ...}. The owner is replaced in the JSON text (ARGV[3] -> ARGV[4], the
# exact ``"owner": "<id>"`` fragments): the other fields stay byte for byte.
# KEYS: lease of the dead, engines, adopted mark of the dead, calls; ARGV: dead, adopter, old, new
_ADOPT = """
if redis.call('EXISTS', KEYS[1]) == 1 then return {} end
if redis.call('SREM', KEYS[2], ARGV[1]) == 0 then return {} end
redis.call('SET', KEYS[3], ARGV[2])
local moved = {'adopted'}
local rows = redis.call('HGETALL', KEYS[4])
for i = 1, #rows, 2 do
  local s, e = string.find(rows[i + 1], ARGV[3], 1, true)
  if s then
    local v = string.sub(rows[i + 1], 1, s - 1) .. ARGV[4] .. string.sub(rows[i + 1], e + 1)
    redis.call('HSET', KEYS[4], rows[i], v)
    table.insert(moved, v)
  end
end
return moved
"""


def _owner_json(engine_id: str) -> str:
    """The ``owner`` field exactly as :meth:`RedisStore.save_call` writes it."""
    return json.dumps({"owner": engine_id})[1:-1]


class RedisStore:
    """Redis hashes under ``prefix``: ``acd:agents``, ``acd:calls``, ``acd:reserved:<agent>``,
    ``acd:alive:<engine>`` (the engine's last heartbeat), ``acd:logged:<engine>`` (its queue
    log is in the database up to then); leases: ``acd:lease:<engine>`` (TTL),
    set ``acd:engines`` (engines whose share nobody adopted yet), ``acd:adopted:<engine>``
    (who adopted it)."""

    def __init__(self, url: str, prefix: str = "atende:") -> None:
        self._redis: aioredis.Redis = aioredis.from_url(
            url,
            decode_responses=True,
            socket_timeout=2.0,
            socket_connect_timeout=2.0,
            connection_class=TimedWriteConnection,
        )
        self._p = prefix
        self._reserve = self._redis.register_script(_RESERVE)
        self._release = self._redis.register_script(_RELEASE)
        self._join = self._redis.register_script(_JOIN)
        self._renew = self._redis.register_script(_RENEW)
        self._adopt = self._redis.register_script(_ADOPT)

    def _lease_keys(self, engine_id: str) -> list[str]:
        p = self._p
        return [p + "acd:lease:" + engine_id, p + "acd:engines", p + "acd:adopted:" + engine_id]

    async def write(self, batch: StoreBatch) -> None:
        """Every write of the batch in one pipeline (one round trip, in order); a batch of
        the heartbeat alone (an idle engine's, twice a second) is its one command."""
        if batch.beat is not None and not (batch.agents or batch.calls or batch.releases):
            await self._redis.mset(self._beat_values(*batch.beat))
            return
        pipe = self._redis.pipeline(transaction=False)
        agents, calls = self._p + "acd:agents", self._p + "acd:calls"
        saved_agents = {a: json.dumps(asdict(v)) for a, v in batch.agents.items() if v is not None}
        removed_agents = [a for a, v in batch.agents.items() if v is None]
        saved_calls = {c: json.dumps(v.to_dict()) for c, v in batch.calls.items() if v is not None}
        removed_calls = [c for c, v in batch.calls.items() if v is None]
        if saved_agents:
            pipe.hset(agents, mapping=saved_agents)  # type: ignore[arg-type]
        if removed_agents:
            pipe.hdel(agents, *removed_agents)
        if saved_calls:
            pipe.hset(calls, mapping=saved_calls)  # type: ignore[arg-type]
        if removed_calls:
            pipe.hdel(calls, *removed_calls)
        if batch.releases:  # EVAL, not a registered script: redis-py would first ask
            # SCRIPT EXISTS in a round trip of its own for every pipeline that runs one
            held = [self._p + "acd:reserved:" + agent_id for agent_id, _ in batch.releases]
            pipe.eval(_RELEASE, len(held), *held, *(c for _, c in batch.releases))
        if batch.beat is not None:
            pipe.mset(self._beat_values(*batch.beat))
        await pipe.execute()

    async def save_agent(self, agent: StoredAgent) -> None:
        await self._redis.hset(self._p + "acd:agents", agent.agent_id, json.dumps(asdict(agent)))

    async def remove_agent(self, agent_id: str) -> None:
        await self._redis.hdel(self._p + "acd:agents", agent_id)

    async def agents(self) -> list[StoredAgent]:
        rows = await self._redis.hgetall(self._p + "acd:agents")
        return [StoredAgent(**json.loads(v)) for v in rows.values()]

    async def save_call(self, call: StoredCall) -> None:
        await self._redis.hset(self._p + "acd:calls", call.call_id, json.dumps(call.to_dict()))

    async def remove_call(self, call_id: str) -> None:
        await self._redis.hdel(self._p + "acd:calls", call_id)

    async def calls(self) -> list[StoredCall]:
        rows = await self._redis.hgetall(self._p + "acd:calls")
        return [StoredCall.from_dict(json.loads(v)) for v in rows.values()]

    async def reserve(
        self, agent_id: str, call_id: str, owner: str, released: Sequence[str] = ()
    ) -> bool:
        """Atomic: the agent is ours for ``call_id`` unless someone holds him already; never
        while another engine adopted ``owner``'s share (a stalled engine that lost its lease
        would otherwise offer a caller its adopter offers too). Our reservations of him for
        ``released`` calls are released first, in the same round trip."""
        keys = [self._p + "acd:reserved:" + agent_id, self._p + "acd:adopted:" + owner]
        granted = int(await self._reserve(keys=keys, args=[call_id, *released]))
        if granted < 0:
            raise ShareAdopted(owner)
        return granted == 1

    async def release(self, agent_id: str, call_id: str) -> None:
        await self._release(keys=[self._p + "acd:reserved:" + agent_id], args=[call_id])

    async def reservation(self, agent_id: str) -> str | None:
        value = await self._redis.get(self._p + "acd:reserved:" + agent_id)
        return None if value is None else str(value)

    def _beat_values(self, engine_id: str, at: float, logged: float | None) -> dict[str, str]:
        values = {self._p + "acd:alive:" + engine_id: repr(at)}
        if logged is not None:
            values[self._p + "acd:logged:" + engine_id] = repr(logged)
        return values

    async def beat(self, engine_id: str, at: float, logged: float | None = None) -> None:
        """The engine was alive at ``at`` (a restart dates what ended meanwhile by it); its
        queue log is in the database up to ``logged`` (an adopter logs the rest)."""
        await self._redis.mset(self._beat_values(engine_id, at, logged))

    async def last_beat(self, engine_id: str) -> float | None:
        value = await self._redis.get(self._p + "acd:alive:" + engine_id)
        return None if value is None else float(value)

    async def logged_through(self, engine_id: str) -> float | None:
        value = await self._redis.get(self._p + "acd:logged:" + engine_id)
        return None if value is None else float(value)

    async def join(self, engine_id: str, instance: str, ttl: float) -> bool:
        """Take our lease at start; True when another engine adopted our share meanwhile."""
        args: list[str | int] = [engine_id, instance, int(ttl * 1000)]
        return bool(await self._join(keys=self._lease_keys(engine_id), args=args))

    async def renew(self, engine_id: str, instance: str, ttl: float) -> bool:
        """Renew our lease; False when another engine adopted our share while we ran."""
        args: list[str | int] = [engine_id, instance, int(ttl * 1000)]
        return bool(await self._renew(keys=self._lease_keys(engine_id), args=args))

    async def share_lost_seen(self, engine_id: str) -> None:
        """The engine handed its adopted calls over: its reservations are allowed again."""
        await self._redis.delete(self._p + "acd:adopted:" + engine_id)

    async def expired(self, engine_id: str) -> list[str]:
        """Other engines whose lease expired and whose share nobody adopted yet."""
        others = sorted(str(e) for e in await self._redis.smembers(self._p + "acd:engines"))
        others = [e for e in others if e != engine_id]
        if not others:
            return []
        alive = await self._redis.exists(*(self._p + "acd:lease:" + e for e in others))
        if alive == len(others):
            return []
        return [e for e in others if not await self._redis.exists(self._p + "acd:lease:" + e)]

    async def adopt(self, dead: str, adopter: str) -> list[StoredCall] | None:
        """Claim ``dead``'s share (see ``_ADOPT``): its calls, now owned by ``adopter``; None
        when its lease is alive again or another engine claimed it first."""
        keys = [*self._lease_keys(dead), self._p + "acd:calls"]
        args = [dead, adopter, _owner_json(dead), _owner_json(adopter)]
        rows = await self._adopt(keys=keys, args=args)
        if not rows:
            return None
        return [StoredCall.from_dict(json.loads(v)) for v in rows[1:]]

    async def close(self) -> None:
        await self._redis.aclose()

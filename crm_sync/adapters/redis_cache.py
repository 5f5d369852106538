"""The customer view cache on Redis: shared by every engine, kept over restarts.

Keys under a prefix: ``doc:KEY`` (the last copy, kept ``keep`` seconds), ``fresh:KEY`` (present
while fresh, TTL ``ttl``), ``gen:CUSTOMER`` (raised by each invalidation), ``links:CUSTOMER`` (the
keys naming the customer) and ``pos:NAME`` (feed positions). Storing and invalidating are Lua
scripts, so a read of the ERP that an invalidation overtook never stores a fresh old copy.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from crm_sync.port import CacheUnavailable, Entry

P = ParamSpec("P")
R = TypeVar("R")


def _answers(
    method: Callable[P, Coroutine[Any, Any, R]],
) -> Callable[P, Coroutine[Any, Any, R]]:
    """Redis not answering becomes :class:`CacheUnavailable`."""

    @functools.wraps(method)
    async def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await method(*args, **kwargs)
        except (RedisError, OSError) as err:
            raise CacheUnavailable(type(err).__name__) from err

    return call


_PUT = """
local n = tonumber(ARGV[5])
for i = 1, n do
  local gen = redis.call('GET', ARGV[1] .. 'gen:' .. ARGV[4 + 2 * i])
  if (tonumber(gen) or 0) ~= tonumber(ARGV[5 + 2 * i]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[4])
redis.call('SET', KEYS[2], '1', 'EX', ARGV[3])
for i = 1, n do
  local links = ARGV[1] .. 'links:' .. ARGV[4 + 2 * i]
  redis.call('SADD', links, KEYS[2])
  redis.call('EXPIRE', links, ARGV[4])
end
return 1
"""

_INVALIDATE = """
redis.call('INCR', KEYS[1])
local fresh = redis.call('SMEMBERS', KEYS[2])
for _, key in ipairs(fresh) do redis.call('DEL', key) end
redis.call('DEL', KEYS[2])
return #fresh
"""


class RedisViewCache:
    """:class:`crm_sync.port.ViewCache` on Redis."""

    def __init__(
        self,
        url: str,
        prefix: str = "atende:crm:",
        *,
        ttl: float = 300.0,
        keep: float = 86400.0,
        connection_class: type[aioredis.Connection] = aioredis.Connection,
    ) -> None:
        self._redis: aioredis.Redis = aioredis.from_url(url, connection_class=connection_class)
        self._p = prefix
        self._ttl = max(int(ttl), 1)
        self._keep = max(int(keep), self._ttl)
        self._put: Any = self._redis.register_script(_PUT)
        self._invalidate: Any = self._redis.register_script(_INVALIDATE)

    @_answers
    async def get(self, key: str) -> Entry | None:
        """The last copy and whether it is fresh."""
        raw, fresh = await self._redis.mget([self._p + "doc:" + key, self._p + "fresh:" + key])
        if raw is None:
            return None
        stored = json.loads(raw)
        return Entry(stored["data"], datetime.fromisoformat(stored["at"]), fresh is not None)

    @_answers
    async def generation(self, customer: str) -> int:
        """The customer's invalidation counter."""
        value = await self._redis.get(self._p + "gen:" + customer)
        return int(value or 0)

    @_answers
    async def put(
        self, key: str, data: str, fetched_at: datetime, *, customers: dict[str, int]
    ) -> bool:
        """Store unless a customer was invalidated since its generation was read."""
        args: list[Any] = [
            self._p,
            json.dumps({"data": data, "at": fetched_at.isoformat()}),
            self._ttl,
            self._keep,
            len(customers),
        ]
        for customer, gen in customers.items():
            args += [customer, gen]
        keys = [self._p + "doc:" + key, self._p + "fresh:" + key]
        return bool(await self._put(keys=keys, args=args))

    @_answers
    async def invalidate(self, customer: str) -> None:
        """Raise the generation and drop the fresh marks of every key naming ``customer``."""
        keys = [self._p + "gen:" + customer, self._p + "links:" + customer]
        await self._invalidate(keys=keys, args=[])

    @_answers
    async def position(self, name: str) -> int:
        """A remembered feed position."""
        return int(await self._redis.get(self._p + "pos:" + name) or 0)

    @_answers
    async def set_position(self, name: str, value: int) -> None:
        """Remember a feed position."""
        await self._redis.set(self._p + "pos:" + name, value)

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()

"""The customer view cache in the process (the embedded demo without Redis); same rules as
:mod:`crm_sync.adapters.redis_cache`, times from an injected monotonic clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from crm_sync.port import Entry


class MemoryViewCache:
    """:class:`crm_sync.port.ViewCache` in a dict (one process)."""

    def __init__(
        self,
        *,
        ttl: float = 300.0,
        keep: float = 86400.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._keep = max(keep, ttl)
        self._clock = clock
        self._docs: dict[str, tuple[str, datetime, float]] = {}  # key -> data, at, stored
        self._fresh: dict[str, float] = {}  # key -> fresh until
        self._gen: dict[str, int] = {}
        self._links: dict[str, set[str]] = {}
        self._positions: dict[str, int] = {}

    async def get(self, key: str) -> Entry | None:
        """The last copy and whether it is fresh."""
        now = self._clock()
        found = self._docs.get(key)
        if found is None or now - found[2] >= self._keep:
            self._docs.pop(key, None)
            return None
        return Entry(found[0], found[1], self._fresh.get(key, 0.0) > now)

    async def generation(self, customer: str) -> int:
        """The customer's invalidation counter."""
        return self._gen.get(customer, 0)

    async def put(
        self, key: str, data: str, fetched_at: datetime, *, customers: dict[str, int]
    ) -> bool:
        """Store unless a customer was invalidated since its generation was read."""
        if any(self._gen.get(c, 0) != g for c, g in customers.items()):
            return False
        now = self._clock()
        self._docs[key] = (data, fetched_at, now)
        self._fresh[key] = now + self._ttl
        for customer in customers:
            self._links.setdefault(customer, set()).add(key)
        return True

    async def invalidate(self, customer: str) -> None:
        """Raise the generation and drop the fresh marks of every key naming ``customer``."""
        self._gen[customer] = self._gen.get(customer, 0) + 1
        for key in self._links.pop(customer, set()):
            self._fresh.pop(key, None)

    async def position(self, name: str) -> int:
        """A remembered feed position."""
        return self._positions.get(name, 0)

    async def set_position(self, name: str, value: int) -> None:
        """Remember a feed position."""
        self._positions[name] = value

    async def close(self) -> None:
        """Nothing to release."""

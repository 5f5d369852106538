"""What the floor shows: the ACD's agents, queues and waiting callers, every live call the
call tracker follows, and the state of the links the engine depends on (each Asterisk server,
Redis)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

import structlog

from atende.floor.state import Floor
from telephony.link import AsteriskLink

if TYPE_CHECKING:
    from acd.app.spying import SpySession
    from acd.live import InboundAcd

log = structlog.get_logger("atende.floor")


class RedisWatch:
    """Pings Redis every ``interval`` seconds; ``up`` is None when there is no Redis."""

    def __init__(
        self,
        ping: Callable[[], Awaitable[Any]] | None,
        on_change: Callable[[], None],
        *,
        interval: float = 1.0,
        timeout: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ping = ping
        self.on_change = on_change
        self.interval = interval
        self.timeout = timeout
        self.clock = clock
        self.up: bool | None = None if ping is None else True
        self.since = clock()

    async def check(self) -> None:
        """One ping; a change of state is logged and told."""
        if self.ping is None:
            return
        try:
            async with asyncio.timeout(self.timeout):
                await self.ping()
            up = True
        except Exception:  # any failure means Redis cannot be vouched for
            up = False
        if up != self.up:
            self.up, self.since = up, self.clock()
            (log.info if up else log.warning)("floor_redis_link", up=up)
            self.on_change()

    async def run(self) -> None:
        """Ping until cancelled; a cancellation that arrived during a ping the Redis client
        turned into an error still ends the loop."""
        task = asyncio.current_task()
        while True:
            await self.check()
            if task is not None and task.cancelling():
                raise asyncio.CancelledError
            await asyncio.sleep(self.interval)


class FloorSource:
    """Builds the floor (called by :class:`atende.floor.FloorHub`; no I/O). ``spies`` gives
    the supervisors' spy sessions in progress (section ``spies``, keyed by supervisor)."""

    def __init__(
        self,
        link: AsteriskLink,
        acd: Callable[[], InboundAcd | None],
        redis: RedisWatch | None = None,
        spies: Callable[[], Iterable[SpySession]] | None = None,
    ) -> None:
        self.link = link
        self.acd = acd
        self.redis = redis
        self.spies = spies

    def __call__(self) -> Floor:
        calls = {f"{row['server']}/{row['linkedid']}": row for row in self.link.live_calls_view()}
        floor: Floor = {"calls": calls, "links": self.links()}
        acd = self.acd()
        if acd is not None and acd.ready:
            floor.update(acd.floor_view())
            floor["links"]["acd"]["server"] = acd.server
        if self.spies is not None:
            floor["spies"] = {
                s.supervisor: {
                    "supervisor": s.supervisor,
                    "agent": s.agent,
                    "mode": s.mode,
                    "state": s.state,
                    "phone": s.phone,
                    "started_at": s.started_at,
                    "spying_at": s.spying_at,
                }
                for s in self.spies()
            }
        return floor

    def links(self) -> dict[str, Any]:
        """Per Asterisk server and for Redis: up, and since when it is down."""
        links: dict[str, Any] = {}
        for server in self.link.status():
            name = server["server"]
            up = bool(server["connected"]) and self.link.synced(name)
            links[f"asterisk:{name}"] = {
                "kind": "asterisk",
                "name": name,
                "up": up,
                "since": None if up else self.link.lost_at(name),
            }
        if self.redis is not None and self.redis.up is not None:
            up = self.redis.up
            links["redis"] = {
                "kind": "redis",
                "name": "redis",
                "up": up,
                "since": None if up else self.redis.since,
            }
        acd = self.acd()
        links["acd"] = {"kind": "acd", "name": "acd", "up": acd is not None and acd.ready}
        return links

"""Is the engine ready to take calls? Database, Redis, each Asterisk link, FastAGI listening.

Each check answers ``ok`` and, when not, a short reason that names no host, user or secret
(an engine without Redis says so in the redis check's reason).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import sqlalchemy as sa
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from telephony.agi import AgiServer
from telephony.link import AsteriskLink

CHECK_TIMEOUT = 2.0
#: the redis check's note when the engine keeps its live state in-process
NO_REDIS = "not used: live state in-process"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    reason: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "ok": self.ok,
            **({"reason": self.reason} if self.reason else {}),
        }


class Readiness:
    """The checks of one engine; ``redis`` is None when live state is in-process."""

    def __init__(
        self,
        db: AsyncEngine,
        link: AsteriskLink,
        agi: AgiServer,
        redis: Redis | None,
        timeout: float = CHECK_TIMEOUT,
    ) -> None:
        self.db = db
        self.link = link
        self.agi = agi
        self.redis = redis
        self.timeout = timeout

    async def checks(self) -> list[Check]:
        """Every check, run together, each bounded by ``timeout``."""
        database, redis = await asyncio.gather(
            _probe("database", self._database, self.timeout),
            _probe("redis", self._redis, self.timeout),
        )
        if self.redis is None:  # nothing to reach: say so rather than a bare "ok"
            redis = Check("redis", True, NO_REDIS)
        return [database, redis, *self._asterisk(), self._fastagi()]

    async def _database(self) -> None:
        async with self.db.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))

    async def _redis(self) -> None:
        if self.redis is not None:
            await self.redis.ping()

    def _asterisk(self) -> list[Check]:
        out = []
        for server in self.link.status():
            name = f"asterisk:{server['server']}"
            if server["refused"]:
                out.append(Check(name, False, "login refused"))
            elif not server["connected"]:
                out.append(Check(name, False, "not connected"))
            elif not self.link.synced(server["server"]):
                out.append(Check(name, False, "connected, channels not yet synced"))
            else:
                out.append(Check(name, True))
        return out

    def _fastagi(self) -> Check:
        try:
            self.agi.port  # noqa: B018 (raises when not listening)
        except RuntimeError:
            return Check("fastagi", False, "not listening")
        return Check("fastagi", True)


async def _probe(name: str, check: Callable[[], Awaitable[None]], timeout: float) -> Check:  # noqa: ASYNC109
    try:
        async with asyncio.timeout(timeout):
            await check()
    except TimeoutError:
        return Check(name, False, f"no answer within {timeout:g} s")
    except Exception as exc:  # any failure is a reason, never a crash of the probe
        return Check(name, False, f"unreachable ({type(exc).__name__})")
    return Check(name, True)

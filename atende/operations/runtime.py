"""The operations bundle the composition root builds, starts and stops with the engine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from atende.operations.health import Readiness
from atende.operations.metrics import EngineMetrics, LoopLag
from telephony.agi import AgiServer
from telephony.link import AsteriskLink

if TYPE_CHECKING:
    from acd.live import InboundAcd


@dataclass
class Operations:
    """Readiness checks, metrics and the loop-lag sampler of one engine."""

    readiness: Readiness
    metrics: EngineMetrics
    lag: LoopLag
    redis: Redis | None = None

    @classmethod
    def build(
        cls,
        *,
        db: AsyncEngine,
        link: AsteriskLink,
        agi: AgiServer,
        acd: Callable[[], InboundAcd | None],
        redis_url: str | None,
    ) -> Operations:
        """Its own Redis client (for PING) when live state is in Redis; nothing connects yet."""
        redis = Redis.from_url(redis_url) if redis_url else None
        lag = LoopLag()
        return cls(
            readiness=Readiness(db, link, agi, redis),
            metrics=EngineMetrics(link, acd, db, lag),
            lag=lag,
            redis=redis,
        )

    async def start(self) -> None:
        await self.lag.start()

    async def stop(self) -> None:
        await self.lag.stop()
        if self.redis is not None:
            await self.redis.aclose()

"""The customer view the engine runs, chosen by the settings: Redis when ``redis_url`` is set
(shared by engines), else in the process. Built by the composition root only."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from acd.live.redis_connection import TimedWriteConnection
from atende.erp_runtime import ErpRuntime
from atende.settings import Settings
from crm_sync.adapters.erp_records import EmbeddedRecords, NoRecords
from crm_sync.adapters.memory_cache import MemoryViewCache
from crm_sync.adapters.redis_cache import RedisViewCache
from crm_sync.adapters.sql_interactions import SqlInteractions
from crm_sync.app.change_feed import ChangeFeed
from crm_sync.app.customer_views import CustomerViews
from crm_sync.app.warm_up import WarmUp
from crm_sync.port import CustomerRecords, ViewCache


@dataclass
class CrmRuntime:
    """The views, the warm-up workers and the change-feed consumer."""

    views: CustomerViews
    warm_up: WarmUp
    feed: ChangeFeed

    async def run(self, stop: asyncio.Event) -> None:
        """Warm-up workers and the change-feed consumer, until ``stop`` (or cancelled)."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self.warm_up.run(stop), name="crm-warm-up")
            group.create_task(self.feed.run(stop), name="crm-change-feed")

    async def close(self) -> None:
        """Close the cache's connection."""
        await self.views.cache.close()


def build_crm(settings: Settings, engine: AsyncEngine, erp: ErpRuntime) -> CrmRuntime:
    """Customer views over ``erp`` with the cache the settings ask for."""
    cache: ViewCache = (
        RedisViewCache(
            settings.redis_url,
            settings.redis_key_prefix + "crm:",
            ttl=settings.crm_view_ttl,
            connection_class=TimedWriteConnection,  # no task per command (see its module)
        )
        if settings.redis_url
        else MemoryViewCache(ttl=settings.crm_view_ttl)
    )
    records: CustomerRecords = (
        EmbeddedRecords(erp.embedded) if erp.embedded is not None else NoRecords()
    )
    views = CustomerViews(erp.port, records, cache, SqlInteractions(engine))
    return CrmRuntime(views, WarmUp(views), ChangeFeed(views))

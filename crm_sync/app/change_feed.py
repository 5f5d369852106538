"""Following the ERP's change feed: every change of a customer invalidates its view.

The position (the last change applied) is kept in the cache, so a restarted engine goes on
where it stopped; an ERP that does not answer is asked again after ``interval``.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from crm_sync.app.customer_views import ERP_DOWN, CustomerViews, customer_id
from crm_sync.port import CacheUnavailable

log = structlog.get_logger("crm_sync.change_feed")

POSITION = "erp_changes"
# the ERP or the cache not answering: try again after the interval
UNAVAILABLE: tuple[type[BaseException], ...] = (*ERP_DOWN, CacheUnavailable)


class ChangeFeed:
    """Reads ``erp.changes(after)`` and invalidates the customers named."""

    def __init__(self, views: CustomerViews, *, batch: int = 500, interval: float = 1.0) -> None:
        self._views = views
        self._batch = batch
        self._interval = interval

    async def apply_once(self) -> int:
        """Apply the changes after the remembered position; returns how many were read."""
        cache = self._views.cache
        after = await cache.position(POSITION)
        changes = await self._views.erp.changes(after, self._batch)
        customers = {
            customer_id(c.customer_code, c.customer_store) for c in changes if c.customer_code
        }
        for c in changes:
            if c.customer_code:
                await self._views.invalidate(c.customer_code, c.customer_store)
        if changes:
            await cache.set_position(POSITION, changes[-1].seq)
            log.info(
                "customer_changes_applied",
                after=after,
                to=changes[-1].seq,
                customers=len(customers),
            )
        return len(changes)

    async def run(self, stop: asyncio.Event) -> None:
        """Follow the feed until ``stop`` is set (or cancelled: a cancellation the Redis client
        turned into an error mid-command still ends it)."""
        task = asyncio.current_task()
        while not stop.is_set():
            if task is not None and task.cancelling():
                raise asyncio.CancelledError
            try:
                read = await self.apply_once()
            except UNAVAILABLE as err:
                log.warning("customer_changes_unavailable", error=type(err).__name__)
                read = 0
            except Exception:  # never stop following; the TTL bounds staleness meanwhile
                log.exception("customer_changes_failed")
                read = 0
            if read < self._batch:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self._interval)

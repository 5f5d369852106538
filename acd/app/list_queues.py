"""Every queue with its statistics of the day."""

from __future__ import annotations

from acd.app.models import QueueListing
from acd.app.ports import ConfigStore, LiveAcd


async def list_queues(store: ConfigStore, acd: LiveAcd | None) -> list[QueueListing]:
    """Queues in name order; ``stats`` is None without a running ACD."""
    live = {q["queue"]: q for q in acd.live_view()["queues"]} if acd is not None else {}
    return [QueueListing(config=c, stats=live.get(c.name)) for c in await store.queues()]

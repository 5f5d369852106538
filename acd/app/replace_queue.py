"""Replace a queue's whole configuration (HTTP PUT, ``atende queue add --replace``).

A full replace: every field absent from the new configuration takes its default (no
``escalation`` means no escalation). Waiting and ringing callers and agents' states stay.
"""

from __future__ import annotations

from acd.app.ports import ConfigStore, LiveAcd
from acd.app.queues import get_queue, save_queue
from acd.domain import QueueConfig


async def replace_queue(
    store: ConfigStore, acd: LiveAcd | None, config: QueueConfig, *, create: bool = False
) -> bool:
    """Replace the queue ``config.name``; True when it was created.

    ``queue_not_found`` unless it exists or ``create`` is set.
    """
    created = create and await store.queue(config.name) is None
    if not created:
        await get_queue(store, config.name)
    await save_queue(store, acd, config)
    return created

"""Create a queue."""

from __future__ import annotations

from acd.app.ports import ConfigStore, LiveAcd
from acd.app.queues import save_queue
from acd.domain import QueueConfig, QueueExists


async def create_queue(store: ConfigStore, acd: LiveAcd | None, config: QueueConfig) -> QueueConfig:
    """Store a new queue; ``queue_exists`` when the name is taken (replace it explicitly)."""
    if await store.queue(config.name) is not None:
        raise QueueExists(f"queue {config.name!r} already exists")
    await save_queue(store, acd, config)
    return config

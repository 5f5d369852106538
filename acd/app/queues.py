"""Saving a queue (shared by the queue use cases): checked with every other queue, applied to
the running ACD (calls and agents' clocks untouched), then stored."""

from __future__ import annotations

from acd.app.ports import ConfigStore, LiveAcd
from acd.domain import QueueConfig, QueueNotFound, check_queues


async def get_queue(store: ConfigStore, name: str) -> QueueConfig:
    """The queue ``name``; ``queue_not_found`` otherwise."""
    config = await store.queue(name)
    if config is None:
        raise QueueNotFound(f"no queue {name!r}")
    return config


async def save_queue(store: ConfigStore, acd: LiveAcd | None, config: QueueConfig) -> None:
    """Store ``config``; ``queue_config_invalid`` when the queues no longer fit together
    (unknown overflow target, cycle...). Nothing is stored then."""
    others = [q for q in await store.queues() if q.name != config.name]
    queues = check_queues([*others, config])
    if acd is not None:
        await acd.reconfigure(queues.values())
    await store.save_queue(config)

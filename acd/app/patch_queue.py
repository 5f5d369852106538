"""Change some fields of a queue (HTTP PATCH, ``atende queue set``); the others keep their
values (an escalation not mentioned stays)."""

from __future__ import annotations

from acd.app.models import QueuePatch
from acd.app.ports import ConfigStore, LiveAcd
from acd.app.queues import get_queue, save_queue
from acd.domain import QueueConfig


async def patch_queue(
    store: ConfigStore, acd: LiveAcd | None, name: str, patch: QueuePatch
) -> QueueConfig:
    """Apply ``patch`` to the queue ``name``; ``queue_not_found``; a result that is not a valid
    queue raises pydantic's ``ValidationError`` (fields named as in the queue)."""
    config = QueueConfig.model_validate(patch.apply(await get_queue(store, name)))
    await save_queue(store, acd, config)
    return config

"""Stopping owned tasks for sure.

redis-py's asyncio client (8.x) turns a cancellation that lands mid-command into a connection
error; a loop that catches ``Exception`` around a Redis call then goes on as if nothing
happened, and a plain ``task.cancel(); await task`` waits for ever. :func:`cancel_and_wait`
cancels again, at the task's next wait, until it has ended.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import structlog

log = structlog.get_logger("telephony.tasks")


async def cancel_and_wait(
    tasks: Iterable[asyncio.Future[Any]],
    *,
    retry: float = 0.5,
    tries: int = 20,
) -> None:
    """Cancel ``tasks`` and wait until each has ended, cancelling again every ``retry`` s a
    task that swallowed its cancellation (at most ``tries`` times, then logged). A task that
    ended with an error has it logged, not raised."""
    every = list(tasks)
    pending = {t for t in every if not t.done()}
    for _ in range(tries):
        if not pending:
            break
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=retry)
    if pending:
        names = sorted(t.get_name() if isinstance(t, asyncio.Task) else repr(t) for t in pending)
        log.error("tasks_not_stopped", tasks=names)
    for task in every:
        if task.done() and not task.cancelled() and task.exception() is not None:
            name = task.get_name() if isinstance(task, asyncio.Task) else repr(task)
            log.error("task_failed", task=name, error=repr(task.exception()))

"""The screen-pop's own tasks: a failing lookup is logged and the desktop goes on; stopping
closes every job, even one that had not started."""

from __future__ import annotations

import asyncio
import gc
import warnings
from typing import Any

from structlog.testing import capture_logs

from atende.desk.screen_pop import ScreenPop


def _screen_pop() -> ScreenPop:
    unused: Any = object()  # the jobs under test touch neither the desk nor the feed
    return ScreenPop(unused, unused)


async def test_a_failing_job_is_logged_and_the_next_one_runs() -> None:
    """A lookup that raises is logged as ``agent_desk_job_failed`` with its error; the job
    after it still runs, and neither stays among the running jobs."""
    pop = _screen_pop()
    done: list[str] = []

    async def fails() -> None:
        raise RuntimeError("customer lookup broke")

    async def works() -> None:
        done.append("sent")

    with capture_logs() as logs:
        pop._spawn(fails())
        pop._spawn(works())
        for _ in range(5):
            await asyncio.sleep(0)
    failed = [entry for entry in logs if entry["event"] == "agent_desk_job_failed"]
    assert len(failed) == 1
    assert "customer lookup broke" in repr(failed[0]["exc_info"])
    assert done == ["sent"]
    assert not pop._jobs


async def test_stopping_before_a_job_starts_leaves_no_coroutine_unawaited() -> None:
    """A job spawned just before ``stop`` (the engine shutting down as a call is answered)
    is cancelled and closed: no 'coroutine was never awaited' warning, and it never runs."""
    pop = _screen_pop()
    ran: list[bool] = []

    async def send_view() -> None:
        ran.append(True)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pop._spawn(send_view())
        await pop.stop()
        gc.collect()
    assert not [w for w in caught if "never awaited" in str(w.message)]
    assert ran == []
    assert not pop._jobs

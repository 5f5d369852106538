"""A supervisor stops listening to a call."""

from __future__ import annotations

from acd.app.spying import NoSpy, Spying, SpySession


async def stop_spy(spying: Spying, supervisor: str) -> SpySession:
    """Hang up the supervisor's spying phone; ``no_spy`` when he is not listening."""
    session = await spying.stop(supervisor)
    if session is None:
        raise NoSpy("not listening to any call")
    return session

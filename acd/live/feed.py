"""What the ACD tells the agent's desktop: an in-process feed of agent-relevant changes.

The ACD publishes an :class:`AgentEvent` when it reserves an agent for a call (before his phone
rings), when the phone rings, when he answers, when the call ends, and when his state changes
otherwise (login, pause, wrap-up over...). Subscribers are plain callbacks called in the ACD's
task under its lock: they must only enqueue (the desktop's own task does the rest).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import structlog

log = structlog.get_logger("acd.live.feed")

EventKind = Literal["reserved", "ringing", "answered", "ended", "state"]


@dataclass(frozen=True, slots=True)
class AgentEvent:
    """One change for one agent; call events carry the call's queue, caller and join time
    (and the customer of a dialer call's lead)."""

    kind: EventKind
    agent_id: str
    at: float
    call_id: str | None = None
    queue: str = ""
    caller: str = ""
    entered_at: float | None = None
    customer_id: str | None = None  # the dialer's lead's customer (``CODE-STORE`` or a code)


Subscriber = Callable[[AgentEvent], None]


class AgentFeed:
    """Subscribers called with every event, in order (a failing one is logged, not removed)."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Add ``callback``; returns the function that removes it."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def publish(self, event: AgentEvent) -> None:
        """Hand ``event`` to every subscriber."""
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:
                log.exception("agent_feed_subscriber_failed", kind=event.kind)

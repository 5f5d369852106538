"""What the router asks the telephony adapters to do: plain, immutable data."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Offer:
    """Ring ``agent_id`` for ``call_id`` (for a callback: call the customer once he answers)."""

    call_id: str
    agent_id: str
    queue: str
    ring_timeout: float
    callback: bool = False


@dataclass(frozen=True, slots=True)
class CancelOffer:
    """Stop ringing the agent: the offer ran past its ring timeout; the call is offered again."""

    call_id: str
    agent_id: str
    queue: str
    reason: str


@dataclass(frozen=True, slots=True)
class Overflow:
    """The call left ``from_queue`` on its last escalation step and now waits in ``to_queue``."""

    call_id: str
    from_queue: str
    to_queue: str


@dataclass(frozen=True, slots=True)
class OfferCallback:
    """Offer the caller a callback; he keeps his place (see ``Router.callback_accepted``)."""

    call_id: str
    queue: str


@dataclass(frozen=True, slots=True)
class Timeout:
    """The caller waited ``max_wait``: take him out of the queue (voicemail, message...)."""

    call_id: str
    queue: str
    waited: float


@dataclass(frozen=True, slots=True)
class Rejected:
    """The caller could not join: ``reason`` is ``"full"`` or ``"no_agents"``."""

    call_id: str
    queue: str
    reason: str


@dataclass(frozen=True, slots=True)
class ExitEmpty:
    """The last agent able to serve the queue left; the caller leaves (``when_no_agents=leave``)."""

    call_id: str
    queue: str


Decision = Offer | CancelOffer | Overflow | OfferCallback | Timeout | Rejected | ExitEmpty

"""The ACD's record of one caller: typed state and the facts the adapters learn about him."""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any


class CallState(StrEnum):
    """Where a caller stands for the ACD."""

    WAITING = "waiting"  # on hold, in a queue
    OFFERED = "offered"  # an agent is reserved for him and rung
    CONNECTED = "connected"  # talking to the agent
    WRAP_UP = "wrap_up"  # ended; the agent's reservation is held through his wrap-up


@dataclass
class StoredCall:
    """A caller the ACD knows (call id = the call's linkedid).

    ``agent_leg`` is the agent's channel (without its Local half) once his phone rings;
    ``agent_hung_up`` says who ended a connected call when it is known. A queued callback carries
    ``callback`` (accepted), ``callback_number``, ``callback_leg`` (the new call's linkedid) and
    ``caller_gone`` (the caller hung up after accepting: not an abandon). A person the dialer
    reached is ``direction="outbound"`` with the ``campaign_id``, ``lead_id`` and
    ``customer_id`` of the lead.
    """

    call_id: str
    queue: str
    channel: str
    caller: str
    entered_at: float
    priority: int = 0
    agent: str | None = None
    state: CallState = CallState.WAITING
    owner: str = ""  # the engine (``acd_engine_id``) that handles the call
    rung_at: float | None = None  # the agent's phone started ringing
    answered_at: float | None = None
    dial_answered_at: float | None = None  # DialEnd ANSWER seen; connected once bridged
    caller_left: bool = False  # a caller's channel hung up while an agent was offered
    agent_leg: str | None = None
    agent_hung_up: bool | None = None
    callback: bool = False
    callback_number: str | None = None
    callback_leg: str | None = None
    caller_gone: bool = False
    direction: str = "inbound"  # outbound: a person the dialer reached (acd.live.outbound)
    campaign_id: str | None = None
    lead_id: str | None = None
    customer_id: str | None = None  # the lead's customer, for the agent's desktop
    ended_at: float | None = None
    held: bool = False  # on hold by the agent (caller in [call-hold], agent's leg waiting)
    held_leg: str | None = None  # the agent's leg while held (unhold bridges it back)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the store (every field is a plain value: no deep copy needed)."""
        data = {name: getattr(self, name) for name in _CALL_FIELDS}
        data["state"] = self.state.value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StoredCall:
        """Back from :meth:`to_dict` (unknown keys are ignored)."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["state"] = CallState(known.get("state", CallState.WAITING))
        return cls(**known)

    def back_in_line(self) -> None:
        """The offer is over without an answer: the caller waits again."""
        self.state, self.agent, self.rung_at, self.agent_leg = CallState.WAITING, None, None, None
        self.dial_answered_at, self.caller_left = None, False


_CALL_FIELDS = tuple(f.name for f in fields(StoredCall))


@dataclass(frozen=True)
class OutboundAnswered:
    """A person the dialer reached waits in ``[dialer-hold]`` for an agent of ``queue``."""

    call_id: str  # the dialer call's linkedid
    channel: str
    queue: str
    number: str
    campaign_id: str
    lead_id: str
    customer_id: str | None = None
    priority: int = 0

"""The values the agent's call controls accept and answer (HTTP bodies and the OpenAPI doc)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

PhoneNumber = Annotated[
    str,
    Field(
        pattern=r"^\+?[0-9]{3,20}$",
        description="digits of a phone number (E.164 with or without +)",
        examples=["5511988880001"],
    ),
]


class TransferTarget(BaseModel):
    """Where the call goes: a queue (its name), an agent (his id) or a phone number."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["queue", "agent", "number"]
    value: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@+-]+$")


class TransferIn(BaseModel):
    """A blind transfer (the agent leaves at once) or an attended one (he talks to the target
    first, then completes or cancels)."""

    model_config = ConfigDict(extra="forbid")
    mode: Literal["blind", "attended"]
    target: TransferTarget


class DtmfIn(BaseModel):
    """Keypad digits the customer's side hears (an IVR on the other end, say)."""

    model_config = ConfigDict(extra="forbid")
    digits: str = Field(pattern=r"^[0-9*#]{1,32}$")


class OriginateIn(BaseModel):
    """Click-to-call: the agent's phone rings first, then the customer's number."""

    model_config = ConfigDict(extra="forbid")
    number: PhoneNumber
    customer_id: str | None = Field(None, min_length=1, max_length=64)


class ControlAccepted(BaseModel):
    """The control was sent to Asterisk; what follows shows on the call's state."""

    status: Literal["accepted"] = "accepted"
    control: str
    call_id: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)


def accepted(control: str, done: dict[str, Any]) -> ControlAccepted:
    """The answer of a control from what the ACD says it sent (``call_id`` and details)."""
    detail = dict(done)
    return ControlAccepted(control=control, call_id=detail.pop("call_id", None), detail=detail)


class HeldTransfer(BaseModel):
    """An attended transfer under way: its target."""

    type: Literal["agent", "number"]
    value: str


class OutboundView(BaseModel):
    """The agent's click-to-call under way."""

    number: str
    customer_id: str | None = None
    state: Literal["ringing", "dialing", "connected"] = Field(
        "ringing",
        description="ringing: the agent's phone; dialing: the customer's; connected: answered",
    )
    placed_at: float | None = None
    answered_at: float | None = Field(None, description="when the agent answered")


class CallControlsView(BaseModel):
    """What the controls see of the agent's call: which buttons make sense now."""

    call_id: str | None = None
    state: Literal["offered", "connected", "outbound"] | None = None
    held: bool = False
    transfer: HeldTransfer | None = None
    outbound: OutboundView | None = None

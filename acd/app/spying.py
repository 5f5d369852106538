"""Listening to an agent's call (listen, whisper, barge): the values and the port the spy use
cases work with. The adapter (``acd.live.spy.CallSpy``) rings the supervisor's phone into the
dialplan's ``[spy]`` context, naming the agent's leg of the call (its channel) in full.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from acd.app.models import AgentId
from acd.domain import AcdError

SpyMode = Literal["listen", "whisper", "barge"]
SpyState = Literal["ringing", "spying", "ended"]
#: a phone as Asterisk dials it (no spaces, commas or line breaks): PJSIP/3001
PHONE_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*/[A-Za-z0-9_.@/+#*-]{1,200}$"


class SpyIn(BaseModel):
    """Listen to (or whisper to, or barge into) an agent's call from the supervisor's phone."""

    model_config = ConfigDict(extra="forbid")
    agent: AgentId
    mode: SpyMode = "listen"
    phone: str | None = Field(
        None,
        max_length=255,
        pattern=PHONE_PATTERN,
        description="the phone to ring (default: the supervisor's phone on his user)",
        examples=["PJSIP/3001"],
    )


@dataclass
class SpySession:
    """One supervisor listening to one agent's call, from the ring of his phone to its end.

    ``ended_reason``: ``stopped`` (asked to), ``no_answer`` (his phone did not answer),
    ``call_ended`` (the agent's call ended), ``hung_up`` (he put his phone down),
    ``target_gone`` (the call ended before the spying began), ``replaced`` (another spy)."""

    spy_id: str
    supervisor: str
    agent: str
    mode: SpyMode
    phone: str
    target: str
    state: SpyState = "ringing"
    spyer: str | None = None
    started_at: float = 0.0
    spying_at: float | None = None
    ended_at: float | None = None
    ended_reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of the spy endpoints."""
        return {
            "spy_id": self.spy_id,
            "agent": self.agent,
            "mode": self.mode,
            "phone": self.phone,
            "state": self.state,
            "target": self.target,
            "started_at": self.started_at,
            "spying_at": self.spying_at,
            "ended_at": self.ended_at,
            "ended_reason": self.ended_reason,
        }


class SpyOut(BaseModel):
    """A spy session as the API shows it."""

    spy_id: str
    agent: str
    mode: SpyMode
    phone: str
    state: SpyState
    target: str = Field(description="the agent's channel being listened to")
    started_at: float
    spying_at: float | None
    ended_at: float | None
    ended_reason: str | None


class NoPhone(AcdError):
    """The supervisor has no phone on his user and named none."""

    code = "no_phone"


class NoSpy(AcdError):
    """The supervisor is not listening to any call."""

    code = "no_spy"


class SpyUnavailable(RuntimeError):
    """Asterisk cannot be reached (the link is down): nothing was rung."""


class Spying(Protocol):
    """The live side of spying (``acd.live.spy.CallSpy``)."""

    def agent_leg(self, interface: str) -> str | None:
        """The full channel name of the call leg on ``interface`` that is in a call now."""
        ...

    def session(self, supervisor: str) -> SpySession | None:
        """The supervisor's current session (ringing or spying), if any."""
        ...

    async def start(
        self, supervisor: str, agent: str, target: str, mode: SpyMode, phone: str
    ) -> SpySession: ...

    async def switch(self, supervisor: str, mode: SpyMode) -> SpySession: ...

    async def stop(self, supervisor: str, reason: str = "stopped") -> SpySession | None: ...

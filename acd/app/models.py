"""The values the ACD's use cases accept and return, validated by pydantic.

The HTTP API reads its bodies into these models and the CLI builds the same models from its
options (``--skill sales=4`` becomes ``skills={"sales": "4"}``, checked here), so both accept
exactly the same values. The OpenAPI document is generated from them.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from acd.domain import (
    AgentConfig,
    DispositionCode,
    EscalationStep,
    QueueConfig,
    QueueName,
    QueueSettings,
    Strategy,
    Thresholds,
    WhenNoAgents,
)

Level = Annotated[int, Field(ge=1, le=5, description="proficiency, 1 (beginner) to 5 (expert)")]
SkillName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\s|,:=]+$")]


class _OnlyNamedKeys:
    """JSON schema of a dict whose keys must match their pattern: no other key is valid."""

    def __get_pydantic_json_schema__(
        self, core: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core)
        if "patternProperties" in schema:
            schema["additionalProperties"] = False
        return schema


Skills = Annotated[dict[SkillName, Level], _OnlyNamedKeys()]
AgentId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.@-]+$",
        description="the agent's id (usually his extension)",
    ),
]
Interface = Annotated[
    str,
    Field(
        min_length=3,
        max_length=255,
        pattern=r"^[^\s,|]+/[^\s,|]+$",
        description="dial string of the agent's phone: PJSIP/2001, Local/2001@agents",
        examples=["PJSIP/2001"],
    ),
]
Username = Annotated[
    str, Field(min_length=1, max_length=64, description="the user who may act as this agent")
]
PauseReason = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^|]+$")]
Seconds = Annotated[float, Field(gt=0)]


class AgentIn(BaseModel):
    """A new agent."""

    model_config = ConfigDict(extra="forbid")
    agent: AgentId
    interface: Interface
    skills: Skills = Field(default_factory=dict)
    name: str = Field("", max_length=128)
    username: Username | None = None


class AgentPatch(BaseModel):
    """Fields of an agent to change (absent fields stay as they are)."""

    model_config = ConfigDict(extra="forbid")
    interface: Interface | None = None
    skills: Skills | None = None
    name: str | None = Field(None, max_length=128)
    username: Username | None = None


class Agent(BaseModel):
    """An agent as configured."""

    agent: str
    name: str
    interface: str
    skills: dict[str, int]
    username: str | None

    def config(self) -> AgentConfig:
        """What the router needs to log him in."""
        return AgentConfig(self.agent, self.interface, dict(self.skills))


class AgentListing(Agent):
    """An agent with his live state (``logged_out`` when the ACD has not seen him)."""

    state: str
    in_state_seconds: float | None
    pause_reason: str | None


class AgentList(BaseModel):
    """Every configured agent."""

    agents: list[AgentListing]


class PauseIn(BaseModel):
    """Why the agent pauses."""

    model_config = ConfigDict(extra="forbid")
    reason: PauseReason


class SkillsIn(BaseModel):
    """An agent's new skills (replacing all of them), applied at once when he is logged in."""

    model_config = ConfigDict(extra="forbid")
    skills: Skills


class MoveIn(BaseModel):
    """Where a waiting caller goes: another queue (he keeps his join time)."""

    model_config = ConfigDict(extra="forbid")
    queue: QueueName


class CallMoved(BaseModel):
    """A waiting caller after a move: his queue and his priority there."""

    call: str
    queue: str
    priority: int


class AgentSession(BaseModel):
    """The agent's state after a login, logout, pause or unpause."""

    agent: str
    state: str
    pause_reason: str | None


class QueueReplace(QueueSettings):
    """A queue's whole configuration (PUT): every field left out takes its default (no
    ``escalation`` means none). ``name``, when given, must be the queue's name."""

    name: QueueName | None = None

    def config(self, name: str) -> QueueConfig:
        """The queue ``name`` with these settings (``ValueError`` when ``name`` differs)."""
        if self.name is not None and self.name != name:
            raise ValueError(f"name {self.name!r} differs from the queue's name {name!r}")
        return QueueConfig.model_validate({**self.model_dump(exclude={"name"}), "name": name})


class QueuePatch(BaseModel):
    """Fields of a queue to change (PATCH): absent fields keep their value; ``null`` clears
    ``max_wait`` and ``max_length``; ``escalation: []`` removes the escalation."""

    model_config = ConfigDict(extra="forbid")
    skills: dict[str, int] | None = None
    weight: int | None = None
    strategy: Strategy | None = None
    service_level_target: float | None = Field(None, gt=0, le=1)
    service_level_seconds: Seconds | None = None
    short_abandon_seconds: float | None = Field(None, ge=0)
    wrap_up_seconds: float | None = Field(None, ge=0)
    ring_timeout: Seconds | None = None
    max_wait: Seconds | None = None
    max_length: int | None = Field(None, ge=1)
    when_no_agents: WhenNoAgents | None = None
    default_handle_time: Seconds | None = None
    escalation: tuple[EscalationStep, ...] | None = None
    dispositions: tuple[DispositionCode, ...] | None = None
    thresholds: Thresholds | None = None

    def apply(self, config: QueueConfig) -> dict[str, Any]:
        """``config``'s fields with the ones given here (to be validated as a QueueConfig)."""
        data = config.model_dump()
        data.update(self.model_dump(exclude_unset=True))
        return data


class QueueListing(BaseModel):
    """A queue's configuration and its statistics of the day (None without a running ACD)."""

    config: QueueConfig
    stats: dict[str, Any] | None


class QueueList(BaseModel):
    """Every queue."""

    queues: list[QueueListing]


def skill_pairs(pairs: list[str], option: str = "--skill") -> dict[str, str]:
    """``["sales=4", "support=2"]`` as ``{"sales": "4", ...}`` for the models to check.

    Raises ``ValueError`` naming the option when a pair has no ``=``.
    """
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, level = pair.partition("=")
        if not sep:
            raise ValueError(f"{option} {pair!r}: expected name=level")
        out[name.strip()] = level.strip()
    return out


class PauseAfterCallIn(BaseModel):
    """The pause reason to take once the current call is over (``null`` cancels)."""

    model_config = ConfigDict(extra="forbid")
    reason: PauseReason | None


class ExtendWrapUpIn(BaseModel):
    """More wrap-up time."""

    model_config = ConfigDict(extra="forbid")
    seconds: float = Field(gt=0, le=3600, description="seconds added to the wrap-up timer")


class CodeLabel(BaseModel):
    """A code and what the page shows for it (pause reasons, disposition codes)."""

    code: str
    label: str


class CustomerRef(BaseModel):
    """A customer the call may be about (``customer_id`` = ``CODE-STORE``)."""

    customer_id: str
    store: str
    name: str


class GivenDisposition(BaseModel):
    """The disposition the call got."""

    code: str
    note: str


class AgentCall(BaseModel):
    """The agent's current call (kept through its wrap-up)."""

    call_id: str = Field(description="the call's id ('' while a click-to-call rings the agent)")
    queue: str
    caller: str = Field(description="the caller's number (the number called by a click-to-call)")
    direction: str = Field(description="inbound | outbound")
    state: str = Field(
        description="offered | ringing | connected | ended; a click-to-call: ringing (the "
        "agent's phone), dialing (the customer's), connected"
    )
    click_to_call: bool = Field(False, description="the agent's own call placed from his desk")
    held: bool = Field(False, description="the agent put the caller on hold")
    entered_at: float
    answered_at: float | None
    ended_at: float | None
    customers: list[CustomerRef] = Field(default_factory=list)
    dispositions: list[CodeLabel] = Field(default_factory=list)
    disposition: GivenDisposition | None = None


_last_seq = 0


def _next_seq() -> int:
    """Increasing in this process and across its restarts (nanoseconds of the wall clock,
    at least one more than the last one given)."""
    global _last_seq
    _last_seq = max(_last_seq + 1, time.time_ns())
    return _last_seq


class AgentStatus(BaseModel):
    """The signed-in agent's state, as his desktop shows it."""

    seq: int = Field(
        default_factory=_next_seq,
        description="order of the documents: one built later has a larger seq (a page shows "
        "the latest it got, whichever way it came: an answer, a poll or the socket)",
    )
    agent_id: str
    state: str = Field(
        description="logged_out | available | paused | reserved | ringing | on_call | wrap_up"
    )
    pause_reason: str | None
    pause_after_call: str | None
    state_since: float | None
    wrap_up_ends_at: float | None
    pause_reasons: list[CodeLabel]
    call: AgentCall | None

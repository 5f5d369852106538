"""Queue configuration: required skills, strategy, service level, limits and escalation steps.

Validated with pydantic; cross-queue rules (overflow targets exist, no overflow cycles) are checked
by :func:`check_queues`. Every error names the queue and the field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Annotated, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from acd.domain.errors import ConfigError
from acd.domain.skills import check_skills


class Strategy(StrEnum):
    """How a queue picks among free agents for a call."""

    LONGEST_IDLE = "longest_idle"
    FEWEST_CALLS = "fewest_calls"
    LEAST_TALK_TIME = "least_talk_time"
    BEST_SKILL = "best_skill"
    ROUND_ROBIN = "round_robin"


class WhenNoAgents(StrEnum):
    """What a queue does when no logged-in, unpaused agent can serve it."""

    JOIN = "join"  # callers join and wait anyway
    REFUSE = "refuse"  # new callers are refused; those waiting stay
    LEAVE = "leave"  # new callers are refused and those waiting leave (EXITEMPTY)


Seconds = Annotated[float, Field(gt=0)]


class EscalationStep(BaseModel):
    """One widening (or final) step, applied once a call has waited ``after`` seconds in the queue.

    A widening step may lower minimum levels (``relax``), accept the agents of other queues
    (``add_queue_agents``: their base requirement) or alternative skill sets (``add_skills``).
    A final step sends the call elsewhere: ``overflow_to`` another queue or ``callback``.
    Steps are cumulative: what an earlier step accepted stays accepted.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    after: Seconds
    relax: dict[str, int] = Field(default_factory=dict)
    add_queue_agents: tuple[str, ...] = ()
    add_skills: tuple[dict[str, int], ...] = ()
    overflow_to: str | None = None
    callback: bool = False

    @field_validator("relax")
    @classmethod
    def _levels(cls, value: dict[str, int]) -> dict[str, int]:
        return check_skills(value, "relax")

    @field_validator("add_skills")
    @classmethod
    def _alternatives(cls, value: tuple[dict[str, int], ...]) -> tuple[dict[str, int], ...]:
        return tuple(check_skills(v, "add_skills") for v in value)

    @property
    def is_final(self) -> bool:
        return self.overflow_to is not None or self.callback

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        widening = bool(self.relax or self.add_queue_agents or self.add_skills)
        if self.overflow_to is not None and self.callback:
            raise ValueError("a step overflows to a queue or offers a callback, not both")
        if widening and self.is_final:
            raise ValueError("a final step (overflow_to/callback) cannot also widen skills")
        if not widening and not self.is_final:
            raise ValueError(
                "a step must do something: relax, add_queue_agents, add_skills, "
                "overflow_to or callback"
            )
        return self


class Thresholds(BaseModel):
    """When a queue's tile on the supervisor's floor turns to an alert: callers waiting at or
    above ``waiting``, the longest wait at or above ``longest_wait`` seconds, the day's service
    level below ``service_level`` (0-1). Each is optional (``null``: never)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    waiting: int | None = Field(default=None, ge=1)
    longest_wait: Seconds | None = None
    service_level: float | None = Field(default=None, gt=0, le=1)


QueueName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^|\s/]+$")]


class DispositionCode(BaseModel):
    """One code an agent may give a call of the queue at wrap-up (sale, promise, no interest)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_]+$")
    label: str = Field(min_length=1, max_length=64)


class QueueSettings(BaseModel):
    """What a queue does, without its name: who may answer it, in what order, and what happens
    while callers wait. Every field has a default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    skills: dict[str, int] = Field(default_factory=dict)
    weight: int = 0
    strategy: Strategy = Strategy.LONGEST_IDLE
    service_level_target: float = Field(default=0.8, gt=0, le=1)
    service_level_seconds: Seconds = 20.0
    short_abandon_seconds: float = Field(default=5.0, ge=0)
    wrap_up_seconds: float = Field(default=0.0, ge=0)
    ring_timeout: Seconds = 15.0
    max_wait: Seconds | None = None
    max_length: int | None = Field(default=None, ge=1)
    when_no_agents: WhenNoAgents = WhenNoAgents.JOIN
    default_handle_time: Seconds = 180.0
    escalation: tuple[EscalationStep, ...] = ()
    #: the codes its calls are closed with; when there are some, the agent stays in wrap-up
    #: until he gives one (``Router.disposition_given``)
    dispositions: tuple[DispositionCode, ...] = ()
    thresholds: Thresholds = Field(default_factory=Thresholds)

    @field_validator("skills")
    @classmethod
    def _levels(cls, value: dict[str, int]) -> dict[str, int]:
        return check_skills(value, "skills")

    @field_validator("dispositions")
    @classmethod
    def _unique_codes(cls, value: tuple[DispositionCode, ...]) -> tuple[DispositionCode, ...]:
        codes = [d.code for d in value]
        if len(set(codes)) != len(codes):
            raise ValueError("disposition codes must be unique")
        return value

    def disposition_codes(self) -> frozenset[str]:
        """The codes of :attr:`dispositions`."""
        return frozenset(d.code for d in self.dispositions)

    @model_validator(mode="after")
    def _steps(self) -> Self:
        previous = 0.0
        relaxed = dict(self.skills)
        for number, step in enumerate(self.escalation, start=1):
            if step.after <= previous:
                raise ValueError(
                    f"escalation step {number}: 'after' must grow from step to step "
                    f"({step.after} <= {previous})"
                )
            previous = step.after
            if step.is_final and number != len(self.escalation):
                raise ValueError(
                    f"escalation step {number}: overflow/callback must be the last step"
                )
            for skill, level in step.relax.items():
                if skill not in relaxed:
                    raise ValueError(
                        f"escalation step {number}: relax names {skill!r}, "
                        "which the queue does not require"
                    )
                if level > relaxed[skill]:
                    raise ValueError(
                        f"escalation step {number}: relax must lower {skill!r} "
                        f"({level} > {relaxed[skill]})"
                    )
                relaxed[skill] = level
        return self


class QueueConfig(QueueSettings):
    """A queue: its name and its settings."""

    name: QueueName

    @model_validator(mode="after")
    def _not_to_itself(self) -> Self:
        for number, step in enumerate(self.escalation, start=1):
            if step.overflow_to == self.name:
                raise ValueError(f"escalation step {number}: a queue cannot overflow to itself")
        return self


def check_queues(queues: Iterable[QueueConfig]) -> dict[str, QueueConfig]:
    """Validate queues together and return them by name."""
    by_name: dict[str, QueueConfig] = {}
    for queue in queues:
        if queue.name in by_name:
            raise ConfigError(f"queue {queue.name!r} is defined twice")
        by_name[queue.name] = queue
    for queue in by_name.values():
        for number, step in enumerate(queue.escalation, start=1):
            for ref in (*step.add_queue_agents, *filter(None, [step.overflow_to])):
                if ref not in by_name:
                    raise ConfigError(
                        f"queue {queue.name!r} escalation step {number}: unknown queue {ref!r}"
                    )
    for queue in by_name.values():
        seen = [queue.name]
        current = queue
        while current.escalation and current.escalation[-1].overflow_to:
            target = current.escalation[-1].overflow_to
            if target in seen:
                raise ConfigError(f"overflow cycle: {' -> '.join([*seen, target])}")
            seen.append(target)
            current = by_name[target]
    return by_name


def parse_queues(items: Iterable[Mapping[str, object]]) -> dict[str, QueueConfig]:
    """Queues from plain data (TOML, JSON, database rows); every problem in one ConfigError.

    Each message names the queue (position and name) and the field, e.g.
    ``queue #2 ('sales'): escalation.0.after: Input should be greater than 0``.
    """
    queues: list[QueueConfig] = []
    problems: list[str] = []
    for number, item in enumerate(items, start=1):
        label = f"queue #{number} ({item.get('name')!r})" if isinstance(item, Mapping) else ""
        try:
            queues.append(QueueConfig.model_validate(item))
        except ValidationError as exc:
            for error in exc.errors():
                where = ".".join(str(part) for part in error["loc"]) or "queue"
                problems.append(f"{label or f'queue #{number}'}: {where}: {error['msg']}")
    if problems:
        raise ConfigError("; ".join(problems))
    return check_queues(queues)

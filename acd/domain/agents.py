"""Agent states and their allowed transitions."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from acd.domain.errors import AcdError
from acd.domain.skills import SkillProfile
from acd.domain.stats import AgentTotals

NO_ANSWER = "no answer"


class AgentState(StrEnum):
    LOGGED_OUT = "logged_out"
    AVAILABLE = "available"
    RESERVED = "reserved"  # chosen by the router, the phone is about to ring
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"


S = AgentState
ALLOWED: dict[AgentState, frozenset[AgentState]] = {
    S.LOGGED_OUT: frozenset({S.AVAILABLE}),
    S.AVAILABLE: frozenset({S.RESERVED, S.PAUSED, S.LOGGED_OUT}),
    S.RESERVED: frozenset({S.RINGING, S.ON_CALL, S.PAUSED, S.AVAILABLE}),
    S.RINGING: frozenset({S.ON_CALL, S.PAUSED, S.AVAILABLE}),
    S.ON_CALL: frozenset({S.WRAP_UP, S.AVAILABLE}),
    S.WRAP_UP: frozenset({S.AVAILABLE, S.PAUSED}),
    S.PAUSED: frozenset({S.AVAILABLE, S.PAUSED, S.LOGGED_OUT}),
}


class IllegalTransition(AcdError):
    """An agent was asked to do something his current state does not allow."""

    code = "illegal_transition"

    def __init__(
        self,
        agent_id: str,
        current: AgentState,
        wanted: AgentState,
        action: str,
        sources: frozenset[AgentState] | None = None,
    ) -> None:
        allowed = sources or frozenset(s for s, targets in ALLOWED.items() if wanted in targets)
        super().__init__(
            f"agent {agent_id!r} cannot {action}: he is {current.value} "
            f"(only possible when {', '.join(sorted(s.value for s in allowed))})"
        )
        self.agent_id = agent_id
        self.current = current
        self.wanted = wanted


@dataclass(frozen=True)
class AgentConfig:
    """An agent as configured: skills (``{name: 1..5}``) and the interface his phone is at."""

    agent_id: str
    interface: str
    skills: dict[str, int]


class AgentNotLoggedIn(IllegalTransition):
    """The router has not seen this agent log in (he is logged out for it)."""

    def __init__(self, agent_id: str) -> None:
        AcdError.__init__(self, f"unknown agent {agent_id!r} (not logged in since start)")
        self.agent_id = agent_id
        self.current = self.wanted = AgentState.LOGGED_OUT


@dataclass(slots=True, eq=False)
class Agent:
    """One agent as the router sees it; counters feed strategies and statistics."""

    agent_id: str
    profile: SkillProfile
    profile_id: int
    seq: int
    state: AgentState = AgentState.LOGGED_OUT
    state_since: float = 0.0
    login_at: float = 0.0
    idle_since: float = 0.0
    pause_reason: str | None = None
    last_pause_reason: str | None = None
    call_id: str | None = None
    wrap_queue: str | None = None
    wrap_call: str | None = None
    wrap_until: float = 0.0
    wrap_held: bool = False  # the queue has disposition codes and the call has none yet
    disposed_call: str | None = None  # the call whose disposition came before its end
    pause_after: str | None = None  # the pause reason he asked for once his call is over
    last_talk: float = 0.0
    timer_version: int = 0
    pool_keys: tuple[Any, ...] | None = None
    totals: AgentTotals = field(default_factory=AgentTotals)  # statistics since start

    def move(
        self,
        wanted: AgentState,
        now: float,
        action: str,
        sources: frozenset[AgentState] | None = None,
    ) -> None:
        """Change state, or raise :class:`IllegalTransition` (nothing changed then).

        ``sources`` narrows the states this action may start from.
        """
        if wanted not in ALLOWED[self.state] or (sources is not None and self.state not in sources):
            raise IllegalTransition(self.agent_id, self.state, wanted, action, sources)
        self.state = wanted
        self.state_since = now

"""The pure ACD core: skills, queues, agents, routing, escalation, statistics. No I/O."""

from acd.domain.agents import NO_ANSWER, AgentNotLoggedIn, AgentState, IllegalTransition
from acd.domain.decisions import (
    CancelOffer,
    Decision,
    ExitEmpty,
    Offer,
    OfferCallback,
    Overflow,
    Rejected,
    Timeout,
)
from acd.domain.erlang import Staffing, agents_for_service_level, erlang_c, staffing, with_shrinkage
from acd.domain.errors import (
    AcdError,
    AgentExists,
    AgentNotFound,
    CallNotFound,
    CallStateConflict,
    ConfigError,
    ErrorKind,
    InterfaceInUse,
    InvalidValue,
    QueueExists,
    QueueNotFound,
    SkillError,
)
from acd.domain.queue_log import QueueEvent, QueueLogRecord
from acd.domain.queues import (
    EscalationStep,
    QueueConfig,
    Strategy,
    WhenNoAgents,
    check_queues,
    parse_queues,
)
from acd.domain.router import AgentView, Router
from acd.domain.skills import SkillProfile
from acd.domain.stats import AgentStats, QueueStats, StatsSnapshot, stats_from_log

__all__ = [
    "NO_ANSWER",
    "AcdError",
    "AgentExists",
    "AgentNotFound",
    "AgentNotLoggedIn",
    "AgentState",
    "AgentStats",
    "AgentView",
    "CallNotFound",
    "CallStateConflict",
    "CancelOffer",
    "ConfigError",
    "Decision",
    "ErrorKind",
    "EscalationStep",
    "ExitEmpty",
    "IllegalTransition",
    "InterfaceInUse",
    "InvalidValue",
    "Offer",
    "OfferCallback",
    "Overflow",
    "QueueConfig",
    "QueueEvent",
    "QueueExists",
    "QueueLogRecord",
    "QueueNotFound",
    "QueueStats",
    "Rejected",
    "Router",
    "SkillError",
    "SkillProfile",
    "Staffing",
    "StatsSnapshot",
    "Strategy",
    "Timeout",
    "WhenNoAgents",
    "agents_for_service_level",
    "check_queues",
    "erlang_c",
    "parse_queues",
    "staffing",
    "stats_from_log",
    "with_shrinkage",
]

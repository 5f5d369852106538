"""The pure ACD core: skills, queues, agents, routing, escalation, statistics. No I/O."""

from acd.domain.agents import NO_ANSWER, AgentState, IllegalTransition
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
from acd.domain.queue_log import QueueEvent, QueueLogRecord
from acd.domain.queues import (
    ConfigError,
    EscalationStep,
    QueueConfig,
    Strategy,
    WhenNoAgents,
    check_queues,
    parse_queues,
)
from acd.domain.router import AcdError, AgentView, Router
from acd.domain.skills import SkillError, SkillProfile
from acd.domain.stats import AgentStats, QueueStats, StatsSnapshot, stats_from_log

__all__ = [
    "NO_ANSWER",
    "AcdError",
    "AgentState",
    "AgentStats",
    "AgentView",
    "CancelOffer",
    "ConfigError",
    "Decision",
    "EscalationStep",
    "ExitEmpty",
    "IllegalTransition",
    "Offer",
    "OfferCallback",
    "Overflow",
    "QueueConfig",
    "QueueEvent",
    "QueueLogRecord",
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

"""Erlang C: agents needed for a service level, and what a given staffing achieves."""

from __future__ import annotations

import math
from dataclasses import dataclass


def erlang_c(traffic: float, agents: int) -> float:
    """Probability that a caller waits, with ``traffic`` Erlangs offered to ``agents``."""
    if agents <= 0:
        raise ValueError("agents must be positive")
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    b = 1.0  # Erlang B by recursion: stable for large numbers of agents
    for k in range(1, agents + 1):
        b = traffic * b / (k + traffic * b)
    return agents * b / (agents - traffic * (1.0 - b))


@dataclass(frozen=True, slots=True)
class Staffing:
    agents: int
    traffic: float
    service_level: float
    occupancy: float
    probability_wait: float
    asa: float


def staffing(traffic: float, agents: int, aht: float, target_seconds: float) -> Staffing:
    """Service level, occupancy, P(wait) and average speed of answer for ``agents``."""
    pw = erlang_c(traffic, agents)
    if agents <= traffic:
        return Staffing(agents, traffic, 0.0, 1.0, 1.0, math.inf)
    gap = agents - traffic
    return Staffing(
        agents=agents,
        traffic=traffic,
        service_level=1.0 - pw * math.exp(-gap * target_seconds / aht),
        occupancy=traffic / agents,
        probability_wait=pw,
        asa=pw * aht / gap,
    )


def agents_for_service_level(
    calls: float,
    interval_seconds: float,
    aht: float,
    target_level: float,
    target_seconds: float,
    max_occupancy: float = 1.0,
) -> Staffing:
    """The fewest agents that answer ``target_level`` of calls within ``target_seconds``."""
    if calls < 0 or interval_seconds <= 0 or aht <= 0:
        raise ValueError("calls must be >= 0, interval and handling time > 0")
    if not 0 < target_level < 1:
        raise ValueError("target_level must be between 0 and 1 (exclusive)")
    traffic = calls * aht / interval_seconds
    agents = max(1, math.floor(traffic) + 1)
    while True:
        result = staffing(traffic, agents, aht, target_seconds)
        if result.service_level >= target_level and result.occupancy <= max_occupancy:
            return result
        agents += 1


def with_shrinkage(agents: int, shrinkage: float) -> int:
    """Agents to schedule so ``agents`` are on the phones after ``shrinkage`` (0.3 = 30%)."""
    if not 0 <= shrinkage < 1:
        raise ValueError("shrinkage must be in [0, 1)")
    return math.ceil(agents / (1.0 - shrinkage) - 1e-9)

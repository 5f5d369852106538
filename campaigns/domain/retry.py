"""What happens to a lead after an attempt: retry after a cool-down, or final.

Rules per result (busy, no answer, machine, abandoned, failed) give the cool-down and the
maximum attempts with that result; a lead also has a maximum of attempts in all. After an
abandoned call the number is not dialled again within the redial guard (72 h by default).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class Result(StrEnum):
    """How a dial attempt ended."""

    HUMAN = "human"  # a person reached an agent (the disposition decides the rest)
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    MACHINE = "machine"
    ABANDONED = "abandoned"  # a person answered and no agent was connected in time
    FAILED = "failed"  # congestion, channel unavailable


@dataclass(frozen=True)
class RetryRule:
    """Cool-down before the next attempt and attempts allowed with this result."""

    cool_down: timedelta
    max_attempts: int


DEFAULT_RULES: Mapping[Result, RetryRule] = {
    Result.BUSY: RetryRule(timedelta(minutes=15), 5),
    Result.NO_ANSWER: RetryRule(timedelta(hours=2), 4),
    Result.MACHINE: RetryRule(timedelta(hours=4), 3),
    Result.ABANDONED: RetryRule(timedelta(hours=72), 2),
    Result.FAILED: RetryRule(timedelta(minutes=30), 3),
}


@dataclass(frozen=True)
class RetryPolicy:
    """Rules by result, attempts in all, and the guard after an abandoned call."""

    rules: Mapping[Result, RetryRule] = field(default_factory=lambda: dict(DEFAULT_RULES))
    max_attempts: int = 8
    redial_after_abandon: timedelta = timedelta(hours=72)


@dataclass(frozen=True)
class RetryDecision:
    """``final`` (with ``reason``) or retry no earlier than ``not_before``."""

    final: bool
    reason: str
    not_before: datetime | None = None


def after_attempt(
    policy: RetryPolicy,
    result: Result,
    at: datetime,
    attempts: Mapping[Result, int],
    last_abandoned_at: datetime | None = None,
) -> RetryDecision:
    """Decide the lead's next step after an attempt ending ``result`` at ``at``.

    ``attempts`` counts the lead's attempts by result including this one;
    ``last_abandoned_at`` is its latest abandoned call (this one when abandoned).
    """
    if result is Result.HUMAN:
        return RetryDecision(True, "reached")
    rule = policy.rules.get(result)
    if rule is None:
        return RetryDecision(True, f"no_retry_{result.value}")
    if attempts.get(result, 0) >= rule.max_attempts:
        return RetryDecision(True, f"max_{result.value}")
    if sum(attempts.values()) >= policy.max_attempts:
        return RetryDecision(True, "max_attempts")
    not_before = at + rule.cool_down
    if result is Result.ABANDONED:
        last_abandoned_at = at
    if last_abandoned_at is not None:
        not_before = max(not_before, last_abandoned_at + policy.redial_after_abandon)
    return RetryDecision(False, f"retry_{result.value}", not_before)


def may_redial(policy: RetryPolicy, at: datetime, last_abandoned_at: datetime | None) -> bool:
    """False within the redial guard after the number's last abandoned call."""
    return last_abandoned_at is None or at >= last_abandoned_at + policy.redial_after_abandon

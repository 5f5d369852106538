"""Escalation plans: which agents may take a call after it has waited a while.

A plan has stages. Stage 0 is the queue's own requirement; each widening step adds accepted
requirements (cumulative, so eligibility only ever widens). A call that entered its queue at
``entered_at`` is at stage ``k`` once ``entered_at + offsets[k] <= now``; the same expression is
used everywhere so timers and matching agree to the last bit.
"""

from __future__ import annotations

from collections.abc import Mapping

from acd.domain.queues import QueueConfig
from acd.domain.skills import Requirement, SkillProfile


class EscalationPlan:
    """The compiled escalation of one queue."""

    __slots__ = ("callback_after", "final_after", "offsets", "overflow_to", "queue", "stages")

    def __init__(self, queue: QueueConfig, queues: Mapping[str, QueueConfig]) -> None:
        self.queue = queue.name
        accepted = [Requirement(queue.skills)]
        relaxed = dict(queue.skills)
        offsets = [0.0]
        stages = [tuple(accepted)]
        self.final_after: float | None = None
        self.overflow_to: str | None = None
        self.callback_after: float | None = None
        for step in queue.escalation:
            if step.is_final:
                self.final_after = step.after
                self.overflow_to = step.overflow_to
                if step.callback:
                    self.callback_after = step.after
                break
            if step.relax:
                relaxed.update(step.relax)
                accepted.append(Requirement(relaxed))
            accepted.extend(Requirement(queues[name].skills) for name in step.add_queue_agents)
            accepted.extend(Requirement(alt) for alt in step.add_skills)
            offsets.append(step.after)
            stages.append(tuple(accepted))
        self.offsets: tuple[float, ...] = tuple(offsets)
        self.stages: tuple[tuple[Requirement, ...], ...] = tuple(stages)

    def stage_at(self, entered_at: float, now: float) -> int:
        """The stage of a call that entered at ``entered_at``, at time ``now``."""
        stage = 0
        for k in range(1, len(self.offsets)):
            if entered_at + self.offsets[k] <= now:
                stage = k
            else:
                break
        return stage

    def next_step_time(self, entered_at: float, now: float) -> float | None:
        """When the next widening or final step applies, or None when none is left."""
        for offset in self.offsets[1:]:
            due = entered_at + offset
            if due > now:
                return due
        if self.final_after is not None:
            due = entered_at + self.final_after
            if due > now:
                return due
        return None

    def eligible(self, profile: SkillProfile, stage: int) -> bool:
        return any(req.met_by(profile) for req in self.stages[stage])

    def min_stage(self, profile: SkillProfile) -> int | None:
        """The first stage at which an agent with ``profile`` may take the call, or None."""
        for stage in range(len(self.stages)):
            if self.eligible(profile, stage):
                return stage
        return None

    def final_reached(self, entered_at: float, now: float) -> bool:
        return self.final_after is not None and entered_at + self.final_after <= now

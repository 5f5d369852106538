"""An independent reading of the escalation rules, written from the configuration alone."""

from __future__ import annotations

from collections.abc import Mapping

from acd.domain import QueueConfig


def accepted(
    config: QueueConfig, configs: Mapping[str, QueueConfig], entered: float, now: float
) -> list[dict[str, int]]:
    """Skill sets (any of them suffices) a call of ``config`` accepts at ``now``."""
    sets = [dict(config.skills)]
    relaxed = dict(config.skills)
    for step in config.escalation:
        if step.overflow_to or step.callback or entered + step.after > now:
            break
        if step.relax:
            relaxed.update(step.relax)
            sets.append(dict(relaxed))
        sets.extend(dict(configs[name].skills) for name in step.add_queue_agents)
        sets.extend(dict(alt) for alt in step.add_skills)
    return sets


def qualifies(skills: Mapping[str, int], sets: list[dict[str, int]]) -> bool:
    return any(all(skills.get(k, 0) >= v for k, v in s.items()) for s in sets)

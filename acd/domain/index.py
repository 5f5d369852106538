"""The routing indexes: free agents by skill profile, and what each profile may serve.

Agents with equal skills share a profile. Per queue and escalation stage the index knows which
profiles are accepted; per profile, which queues it serves and after what wait. Choosing an agent
for a call compares the heads of the accepted profiles' pools (or only of the profiles that have a
free agent, when those are fewer); choosing a call for a freed agent compares the heads of the
priority levels of the queues he serves. Neither looks at every agent or every call.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from acd.domain.agents import Agent
from acd.domain.calls import Call, WaitingLine
from acd.domain.escalation import EscalationPlan
from acd.domain.queues import QueueConfig
from acd.domain.skills import Requirement, SkillProfile
from acd.domain.stats import QueueCounters
from acd.domain.strategies import Candidate, ProfilePool, pick_agent

RECENT_CALLS = 50  # handling times kept per queue for the expected wait


@dataclass(slots=True, eq=False)
class QueueRuntime:
    config: QueueConfig
    plan: EscalationPlan
    line: WaitingLine = field(default_factory=WaitingLine)
    eligible: list[dict[int, Candidate]] = field(default_factory=list)  # per stage, by profile
    offered: dict[str, Call] = field(default_factory=dict)
    counters: QueueCounters = field(default_factory=QueueCounters)
    recent: deque[float] = field(default_factory=lambda: deque(maxlen=RECENT_CALLS))
    staffed: int = 0
    rr_last: int = -1

    def __post_init__(self) -> None:
        self.eligible = [{} for _ in self.plan.stages]

    @property
    def name(self) -> str:
        return self.config.name


Served = tuple[QueueRuntime, float, int]  # (queue, wait before the profile qualifies, weight)


class RoutingIndex:
    """Profiles, their pools of free agents, and the queue/profile eligibility tables."""

    def __init__(self, queues: dict[str, QueueRuntime]) -> None:
        self.queues = queues
        self.profiles: dict[SkillProfile, int] = {}
        self.pools: list[ProfilePool] = []
        self.served: list[list[Served]] = []
        self.free_profiles: set[int] = set()  # profiles with at least one free agent

    def intern(self, profile: SkillProfile) -> int:
        """The id of ``profile``, registering it in every queue stage that accepts it."""
        pid = self.profiles.get(profile)
        if pid is not None:
            return pid
        pid = len(self.pools)
        pool = ProfilePool()
        self.profiles[profile] = pid
        self.pools.append(pool)
        self.served.append(self._register(profile, pid, pool))
        return pid

    def _register(self, profile: SkillProfile, pid: int, pool: ProfilePool) -> list[Served]:
        served: list[Served] = []
        for q in self.queues.values():
            first = q.plan.min_stage(profile)
            if first is None:
                continue
            score = Requirement(q.config.skills).score(profile)
            for stage in range(first, len(q.eligible)):
                q.eligible[stage][pid] = (pool, score)
            served.append((q, q.plan.offsets[first], q.config.weight))
        return served

    def reindex(self, queues: dict[str, QueueRuntime]) -> None:
        """New queues: every known profile keeps its id and its pool of free agents (their
        idle order included); what each profile serves is computed again."""
        self.queues = queues
        by_id = sorted(self.profiles.items(), key=lambda item: item[1])
        self.served = [self._register(profile, pid, self.pools[pid]) for profile, pid in by_id]

    def free(self, agent: Agent) -> None:
        self.pools[agent.profile_id].add(agent)
        self.free_profiles.add(agent.profile_id)

    def unfree(self, agent: Agent) -> None:
        pool = self.pools[agent.profile_id]
        pool.remove(agent)
        if not len(pool):
            self.free_profiles.discard(agent.profile_id)

    def staff(self, agent: Agent, delta: int) -> None:
        """Count ``agent`` in (or out of) every queue he may serve at some stage."""
        for q, _, _ in self.served[agent.profile_id]:
            q.staffed += delta

    def best_agent(self, q: QueueRuntime, call: Call, now: float) -> Agent | None:
        """The free agent ``q``'s strategy prefers for ``call`` at ``now`` (escalation included)."""
        accepted = q.eligible[q.plan.stage_at(call.entered_at, now)]
        free = self.free_profiles
        if len(free) < len(accepted):  # busy centre: look only at profiles with a free agent
            few = [accepted[pid] for pid in free if pid in accepted]
            return pick_agent(q.config.strategy, few, q.rr_last)
        return pick_agent(q.config.strategy, accepted.values(), q.rr_last)

    def best_call(self, agent: Agent, now: float) -> tuple[QueueRuntime, Call] | None:
        """The call a freed agent takes: highest priority, then queue weight, then oldest."""
        best: tuple[QueueRuntime, Call] | None = None
        best_rank: tuple[int, int, float, int] | None = None
        for q, offset, weight in self.served[agent.profile_id]:
            line = q.line
            if not line.count:
                continue
            for priority in line.priorities:
                if best_rank is not None and (-priority, -weight) > best_rank[:2]:
                    break
                entered, seq, call = line.levels[priority][0]
                if entered + offset <= now:  # the head qualifies iff any of this level does
                    rank = (-priority, -weight, entered, seq)
                    if best_rank is None or rank < best_rank:
                        best, best_rank = (q, call), rank
                    break
        return best

"""Routing benchmark: matching decisions per second and p99 latency, indexed router vs naive scan.

Workload: 16 skills, 40 queues (1-2 required skills, a relax step after 30 s, mixed strategies),
up to 200 distinct skill profiles, agents spread over them, 10,000 callers waiting.

- "agent freed": a call ends, the freed agent takes the best waiting call across his queues
  (fair order, escalation considered). The router's call_ended() is timed.
- "call arrives": agents are free, a call arrives and takes the best agent per its strategy.
  The router's call_arrived() is timed.

The naive matcher beside it scans every waiting call (agent freed) or every agent (call arrives,
longest idle) with the same eligibility rules, on the same workload in the same run.
Also printed: one tick in which all 10,000 waiting calls cross an escalation step at once.

Run: ``python bench/routing.py`` (``--quick`` for a short run).
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from acd.domain import EscalationStep, Offer, QueueConfig, Router, Strategy
from acd.domain.escalation import EscalationPlan
from acd.domain.skills import SkillProfile

SKILLS = [f"s{i}" for i in range(16)]
STRATEGIES = list(Strategy)


def make_queues(rng: random.Random, count: int = 40) -> list[QueueConfig]:
    queues = []
    for i in range(count):
        required = {s: rng.randint(2, 3) for s in rng.sample(SKILLS, rng.choice([1, 1, 2]))}
        relax = {s: 1 for s in required}
        queues.append(
            QueueConfig(
                name=f"q{i}",
                skills=required,
                strategy=STRATEGIES[i % len(STRATEGIES)],
                weight=i % 3,
                escalation=(EscalationStep(after=30, relax=relax),),
            )
        )
    return queues


def make_profiles(
    rng: random.Random, count: int, plans: list[EscalationPlan]
) -> list[dict[str, int]]:
    profiles: list[dict[str, int]] = []
    seen: set[tuple[tuple[str, int], ...]] = set()
    while len(profiles) < count:
        skills = {s: rng.randint(1, 5) for s in rng.sample(SKILLS, rng.randint(3, 6))}
        key = tuple(sorted(skills.items()))
        profile = SkillProfile(skills)
        if key in seen or not any(p.min_stage(profile) is not None for p in plans):
            continue
        seen.add(key)
        profiles.append(skills)
    return profiles


# ------------------------------------------------------------------ naive peer
@dataclass
class NaiveAgent:
    agent_id: str
    profile: SkillProfile
    free: bool = True
    idle_since: float = 0.0
    seq: int = 0


@dataclass
class NaiveCall:
    call_id: str
    queue: str
    priority: int
    entered: float
    seq: int


@dataclass
class NaiveMatcher:
    """Scans every waiting call / every agent: what a plain implementation does."""

    plans: dict[str, EscalationPlan]
    weights: dict[str, int]
    agents: dict[str, NaiveAgent] = field(default_factory=dict)
    waiting: list[NaiveCall] = field(default_factory=list)
    seq: int = 0

    def login(self, agent_id: str, skills: dict[str, int], now: float) -> None:
        self.agents[agent_id] = NaiveAgent(
            agent_id, SkillProfile(skills), True, now, len(self.agents)
        )

    def agent_freed(self, agent_id: str, now: float) -> str | None:
        agent = self.agents[agent_id]
        best: NaiveCall | None = None
        best_rank: tuple[int, int, float, int] | None = None
        for call in self.waiting:
            plan = self.plans[call.queue]
            if not plan.eligible(agent.profile, plan.stage_at(call.entered, now)):
                continue
            rank = (-call.priority, -self.weights[call.queue], call.entered, call.seq)
            if best_rank is None or rank < best_rank:
                best, best_rank = call, rank
        if best is None:
            agent.free, agent.idle_since = True, now
            return None
        self.waiting.remove(best)
        agent.free = False
        return best.call_id

    def call_arrived(self, call_id: str, queue: str, priority: int, now: float) -> str | None:
        plan = self.plans[queue]
        stage = 0
        best: NaiveAgent | None = None
        for agent in self.agents.values():
            if agent.free and plan.eligible(agent.profile, stage):
                if best is None or (agent.idle_since, agent.seq) < (best.idle_since, best.seq):
                    best = agent
        if best is None:
            self.seq += 1
            self.waiting.append(NaiveCall(call_id, queue, priority, now, self.seq))
            return None
        best.free = False
        return best.agent_id


# ------------------------------------------------------------------ scenario
@dataclass
class Result:
    decisions_per_s: float
    p50_us: float
    p99_us: float
    offers: float


def summarise(samples: list[int], offers: int) -> Result:
    samples.sort()
    total_s = sum(samples) / 1e9
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))] / 1e3
    return Result(
        len(samples) / total_s, statistics.median(samples) / 1e3, p99, offers / len(samples)
    )


class Scenario:
    def __init__(self, agents: int, waiting: int, profiles: int, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.queues = make_queues(self.rng)
        configs = {q.name: q for q in self.queues}
        self.plans = {q.name: EscalationPlan(q, configs) for q in self.queues}
        self.profiles = make_profiles(self.rng, profiles, list(self.plans.values()))
        self.n_agents = agents
        self.n_waiting = waiting
        self.counter = 0
        # per queue, the profiles that serve it at stage 0: arrivals go where agents exist
        self.servable = [
            q.name
            for q in self.queues
            if any(self.plans[q.name].eligible(SkillProfile(p), 0) for p in self.profiles)
        ]

    def next_call(self) -> tuple[str, str, int]:
        self.counter += 1
        priority = 1 if self.rng.random() < 0.1 else 0
        return f"c{self.counter}", self.rng.choice(self.servable), priority

    # -------------------------------------------------------------- indexed
    def run_router_freed(self, iterations: int) -> Result:
        router = Router(self.queues)
        now = 0.0
        for i in range(self.n_agents):
            router.login(f"a{i}", self.profiles[i % len(self.profiles)], now)
        talking: list[str] = []
        while len(talking) < self.n_agents * 0.95 or router_waiting(router) < self.n_waiting:
            now += 0.001
            call_id, queue, priority = self.next_call()
            for d in router.call_arrived(call_id, queue, now, priority):
                if isinstance(d, Offer):
                    router.agent_answered(d.call_id, now)
                    talking.append(d.call_id)
        samples: list[int] = []
        offers = 0
        gc.collect()
        gc.freeze()
        for _ in range(iterations):
            now += 0.01
            idx = self.rng.randrange(len(talking))
            call_id = talking[idx]
            talking[idx] = talking[-1]
            talking.pop()
            t0 = time.perf_counter_ns()
            decisions = router.call_ended(call_id, now)
            samples.append(time.perf_counter_ns() - t0)
            for d in decisions:
                if isinstance(d, Offer):
                    offers += 1
                    router.agent_answered(d.call_id, now)
                    talking.append(d.call_id)
            new_id, queue, priority = self.next_call()
            for d in router.call_arrived(new_id, queue, now, priority):
                if isinstance(d, Offer):
                    router.agent_answered(d.call_id, now)
                    talking.append(d.call_id)
        gc.unfreeze()
        self.busy_router, self.busy_now = router, now
        return summarise(samples, offers)

    def time_escalation_tick(self) -> tuple[int, float]:
        """One tick after every waiting call crossed its 30 s step: (calls, seconds)."""
        router = self.busy_router
        waiting = router_waiting(router)
        t0 = time.perf_counter()
        router.tick(self.busy_now + 31.0)
        return waiting, time.perf_counter() - t0

    def run_router_arrivals(self, iterations: int) -> Result:
        router = Router(self.queues)
        now = 0.0
        for i in range(self.n_agents):
            router.login(f"a{i}", self.profiles[i % len(self.profiles)], now)
        samples: list[int] = []
        offers = 0
        gc.collect()
        gc.freeze()
        for _ in range(iterations):
            now += 0.01
            call_id, queue, priority = self.next_call()
            t0 = time.perf_counter_ns()
            decisions = router.call_arrived(call_id, queue, now, priority)
            samples.append(time.perf_counter_ns() - t0)
            for d in decisions:
                if isinstance(d, Offer):
                    offers += 1
                    router.agent_answered(d.call_id, now)
                    router.call_ended(d.call_id, now)
            for waiting_id in list(router.calls):
                if router.calls[waiting_id].state.value == "waiting":
                    router.call_abandoned(waiting_id, now)
        gc.unfreeze()
        return summarise(samples, offers)

    # ---------------------------------------------------------------- naive
    def run_naive_freed(self, iterations: int) -> Result:
        naive = NaiveMatcher(self.plans, {q.name: q.weight for q in self.queues})
        now = 0.0
        for i in range(self.n_agents):
            naive.login(f"a{i}", self.profiles[i % len(self.profiles)], now)
        talking: list[str] = []  # agent ids on a call
        while len(talking) < self.n_agents * 0.95 or len(naive.waiting) < self.n_waiting:
            now += 0.001
            call_id, queue, priority = self.next_call()
            agent = naive.call_arrived(call_id, queue, priority, now)
            if agent:
                talking.append(agent)
        samples: list[int] = []
        offers = 0
        for _ in range(iterations):
            now += 0.01
            idx = self.rng.randrange(len(talking))
            agent_id = talking[idx]
            talking[idx] = talking[-1]
            talking.pop()
            t0 = time.perf_counter_ns()
            got = naive.agent_freed(agent_id, now)
            samples.append(time.perf_counter_ns() - t0)
            if got:
                offers += 1
                talking.append(agent_id)
            call_id, queue, priority = self.next_call()
            agent = naive.call_arrived(call_id, queue, priority, now)
            if agent:
                talking.append(agent)
        return summarise(samples, offers)

    def run_naive_arrivals(self, iterations: int) -> Result:
        naive = NaiveMatcher(self.plans, {q.name: q.weight for q in self.queues})
        now = 0.0
        for i in range(self.n_agents):
            naive.login(f"a{i}", self.profiles[i % len(self.profiles)], now)
        samples: list[int] = []
        offers = 0
        for _ in range(iterations):
            now += 0.01
            call_id, queue, priority = self.next_call()
            t0 = time.perf_counter_ns()
            agent = naive.call_arrived(call_id, queue, priority, now)
            samples.append(time.perf_counter_ns() - t0)
            naive.waiting.clear()
            if agent:
                offers += 1
                naive.agents[agent].free = True
                naive.agents[agent].idle_since = now
        return summarise(samples, offers)


def router_waiting(router: Router) -> int:
    return sum(q.line.count for q in router.queues.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    args = parser.parse_args()
    scale = 0.2 if args.quick else 1.0
    waiting = 10_000
    print(f"python {sys.version.split()[0]}, one core, {waiting} waiting calls, 40 queues")
    header = (
        f"{'agents':>6} {'profiles':>8} {'decision':<13} | {'indexed dec/s':>13} {'p50 us':>7} "
        f"{'p99 us':>7} {'offer%':>6} | {'naive dec/s':>11} {'p99 us':>8} | {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    ticks: list[str] = []
    for agents in (100, 1_000, 5_000):
        profiles = min(200, agents)
        scenario = Scenario(agents, waiting, profiles)
        runs: list[tuple[str, Callable[[int], Result], Callable[[int], Result], int, int]] = [
            ("agent freed", scenario.run_router_freed, scenario.run_naive_freed, 20_000, 300),
            (
                "call arrives",
                scenario.run_router_arrivals,
                scenario.run_naive_arrivals,
                20_000,
                3_000,
            ),
        ]
        for label, indexed, naive, n_fast, n_slow in runs:
            fast = indexed(int(n_fast * scale))
            slow = naive(max(50, int(n_slow * scale)))
            print(
                f"{agents:>6} {profiles:>8} {label:<13} | {fast.decisions_per_s:>13,.0f} "
                f"{fast.p50_us:>7.1f} {fast.p99_us:>7.1f} {fast.offers:>6.0%} | "
                f"{slow.decisions_per_s:>11,.0f} "
                f"{slow.p99_us:>8.1f} | {fast.decisions_per_s / slow.decisions_per_s:>5.0f}x"
            )
        calls, seconds = scenario.time_escalation_tick()
        ticks.append(
            f"{agents:>6} agents: one tick escalating {calls:,} waiting calls (all agents busy) "
            f"took {seconds * 1e3:.1f} ms ({seconds / calls * 1e6:.2f} us per call)"
        )
    print()
    print("\n".join(ticks))


if __name__ == "__main__":
    main()

"""Seeded, reproducible call traffic for the twin.

Inbound callers arrive on each number (DID) as a Poisson process and give up after
their patience runs out; agents' phones answer, ring unanswered or are busy with given
probabilities; customers reached by the dialer answer in person, by machine, are busy,
do not answer, or cannot be reached. The same seed gives the same calls.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import Any

import structlog

from telephony.twin.behaviour import AgentPhone, Customer, CustomerOutcome
from telephony.twin.twin import Twin

log = structlog.get_logger("telephony.twin.traffic")

_NAMES = ("Maria Souza", "Joao Lima", "Ana Reis", "Carlos Melo", "Clara Dias", "Pedro Alves")


@dataclass(frozen=True)
class InboundLine:
    """Calls on one number: arrival rate and how long callers wait on hold."""

    did: str
    calls_per_minute: float
    mean_patience: float = 60.0


@dataclass(frozen=True)
class AgentProfile:
    """How an agent's phone behaves on each call."""

    answer_probability: float = 0.9
    busy_probability: float = 0.0
    mean_answer_delay: float = 3.0
    mean_talk_time: float = 120.0


@dataclass(frozen=True)
class CustomerMix:
    """Shares of outcomes for customers the dialer calls (the rest answer in person)."""

    machine: float = 0.15
    silent: float = 0.0
    """People who answer and say nothing (AMD: MACHINE, INITIALSILENCE)."""
    busy: float = 0.1
    noanswer: float = 0.15
    congestion: float = 0.02
    fail: float = 0.01
    mean_answer_delay: float = 4.0


@dataclass(frozen=True)
class InboundCall:
    """One planned inbound call."""

    at: float
    did: str
    caller_num: str
    caller_name: str
    patience: float


@dataclass
class TrafficPlan:
    """What traffic to make."""

    lines: list[InboundLine] = field(default_factory=list)
    agents: dict[str, AgentProfile] = field(default_factory=dict)
    customers: CustomerMix = field(default_factory=CustomerMix)
    callers: list[str] = field(default_factory=list)  # numbers to call from; empty: random


def plan_inbound(plan: TrafficPlan, seed: int, horizon: float) -> list[InboundCall]:
    """The inbound calls of the first ``horizon`` seconds, in time order (pure)."""
    calls: list[InboundCall] = []
    for line in plan.lines:
        if line.calls_per_minute <= 0:
            continue
        rng = random.Random(f"{seed}:inbound:{line.did}")
        t = 0.0
        while True:
            t += rng.expovariate(line.calls_per_minute / 60.0)
            if t > horizon:
                break
            calls.append(
                InboundCall(
                    at=round(t, 3),
                    did=line.did,
                    caller_num=rng.choice(plan.callers)
                    if plan.callers
                    else f"55119{rng.randint(10_000_000, 99_999_999)}",
                    caller_name=rng.choice(_NAMES),
                    patience=round(rng.expovariate(1 / line.mean_patience), 3),
                )
            )
    calls.sort(key=lambda c: (c.at, c.did))
    return calls


def customer_for(mix: CustomerMix, seed: int, number: str) -> Customer:
    """The outcome a number gets (stable for a seed, whatever the calling order)."""
    rng = random.Random(f"{seed}:customer:{number}")
    roll = rng.random()
    outcome: CustomerOutcome = "human"
    edge = 0.0
    shares: tuple[tuple[CustomerOutcome, float], ...] = (
        ("machine", mix.machine),
        ("silent", mix.silent),
        ("busy", mix.busy),
        ("noanswer", mix.noanswer),
        ("congestion", mix.congestion),
        ("fail", mix.fail),
    )
    for name, share in shares:
        edge += share
        if roll < edge:
            outcome = name
            break
    return Customer(outcome, round(rng.expovariate(1 / mix.mean_answer_delay), 3))


def phone_for(profile: AgentProfile, rng: random.Random) -> AgentPhone:
    """Draw how the phone acts on this call."""
    roll = rng.random()
    if roll < profile.busy_probability:
        return AgentPhone("busy")
    if roll < profile.busy_probability + profile.answer_probability:
        return AgentPhone(
            True,
            round(rng.expovariate(1 / profile.mean_answer_delay), 3),
            round(rng.expovariate(1 / profile.mean_talk_time), 3),
        )
    return AgentPhone(False)


class TrafficGenerator:
    """Drives a twin with a plan; every task it starts is owned and cancelled by stop()."""

    def __init__(self, twin: Twin, plan: TrafficPlan, seed: int) -> None:
        self.twin, self.plan, self.seed = twin, plan, seed
        self._rng = random.Random(f"{seed}:phones")
        self._tasks: set[asyncio.Task[object]] = set()
        self._runner: asyncio.Task[None] | None = None
        twin.customer_source = lambda number: customer_for(plan.customers, seed, number)
        twin.phone_source = self._phone

    def _phone(self, interface: str) -> AgentPhone | None:
        profile = self.plan.agents.get(interface)
        return None if profile is None else phone_for(profile, self._rng)

    def start(self, horizon: float = 86400.0) -> None:
        """Begin placing the planned inbound calls."""
        self._runner = asyncio.create_task(self._run(horizon), name="twin-traffic")

    async def _run(self, horizon: float) -> None:
        loop = asyncio.get_running_loop()
        begin = loop.time()
        for call in plan_inbound(self.plan, self.seed, horizon):
            delay = begin + call.at * self.twin.config.time_scale - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            log.info("twin_inbound_call", did=call.did, caller=call.caller_num)
            task = asyncio.create_task(
                self.twin.place_inbound_call(
                    call.did, call.caller_num, call.caller_name, patience=call.patience
                )
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        """Stop placing calls."""
        tasks: list[asyncio.Task[Any]] = list(self._tasks)
        if self._runner is not None:
            tasks.append(self._runner)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


#: The demo's agents' extensions (phones at ``Local/<ext>@agents``).
DEMO_AGENTS = tuple(str(ext) for ext in range(2001, 2011))


def demo_plan() -> TrafficPlan:
    """A small contact center: four numbers (one per queue), ten agents' phones, customers."""
    return TrafficPlan(
        lines=[
            InboundLine("1133330001", calls_per_minute=3, mean_patience=90),
            InboundLine("1133330002", calls_per_minute=2, mean_patience=60),
            InboundLine("1133330003", calls_per_minute=1.5, mean_patience=60),
            InboundLine("1133330004", calls_per_minute=1, mean_patience=120),
        ],
        agents={
            f"{ext}@agents": AgentProfile(
                answer_probability=0.9, mean_answer_delay=1, mean_talk_time=45
            )
            for ext in DEMO_AGENTS
        },
    )

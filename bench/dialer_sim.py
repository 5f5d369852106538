"""Discrete-event simulation of one 8-hour outbound shift, the same calls for every pacer.

Pacers: our predictive pacer (``campaigns.domain.pacing.PredictivePacer``, run every 0.5 s
as the product's dialer loop, fed with the measured answer rate, times to answer, AMD's
delay after the answer and talk times (a talk time is known when the call ends), the agents
talking (with their elapsed talk) or in wrap-up (with the wrap-up left), and the abandon
ledger's whole headroom under the cap), progressive 1:1, and a port of
VICIdial's adaptive pacing, ADAPT_TAPERED, written from its published description (see
``VicidialTapered``).

Every dialled call's fate is drawn from its own random stream keyed by (seed, call number):
the n-th call of any pacer rings as long, is answered (or not) and talks as long. AMD: 1% of
people say nothing and are taken for machines (``INITIALSILENCE``, a false positive counted
in the abandon rate), 12% of machines pass as people and waste an agent 8 s. A person must
reach an agent within 2 s of the AMD verdict or is abandoned (safe-harbour message). An
answered call is no longer ringing (the dialer sees OriginateResponse Success): the pacer may
not hang it up, and counts it a person by the measured share of AMD verdicts. Agents:
30% go to lunch for 30 minutes at hour 4 (logged out), and all log out one by one over the
last 20 minutes.

Printed per scenario: talk minutes per agent hour (people only), abandon rate (with the AMD
false-positive estimate, as Ofcom counts it), its worst 24 h window (the shift is 8 h, so
every 24 h window holding the shift gives the shift's rate) and the highest running rate at
any moment after the first 100 live calls, the calls dialled, the ringing calls the pacer
hung up after the minimum ring, and the people those calls would have brought (not reached
on that attempt) as a share of them plus the live answers. The ``ceiling`` row is the
talk time if agents were never idle: talk / (talk + wrap-up + machines passing as people).

    python bench/dialer_sim.py [--seeds 2] [--hours 8] [--agents 20 100] [--talk 150] [--wrap 10]
"""

from __future__ import annotations

import argparse
import heapq
import math
import random
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from campaigns.domain.abandon import AbandonLedger, AbandonWindow
from campaigns.domain.pacing import (
    PacingInput,
    PredictivePacer,
    expected_remaining,
    person_share,
    progressive,
)

BASE = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CAP = 0.03
CONNECT_WINDOW = 2.0
MIN_RING = 15.0
DIAL_TIMEOUT = 26.0


@dataclass(frozen=True)
class Scenario:
    """One shift: agents, answer rate (people), machine and busy rates, handling times."""

    agents: int
    answer_rate: float
    machine_rate: float = 0.15
    busy_rate: float = 0.08
    talk_mean: float = 150.0
    talk_sigma: float = 0.6
    wrap: float = 10.0
    hours: float = 8.0
    seed: int = 1
    silent_share: float = 0.01
    """People who answer and say nothing (taken for machines by AMD: false positives)."""


@dataclass
class Fate:
    """What the n-th dialled call does."""

    kind: str  # human | machine | busy | no_answer
    ring: float
    amd_delay: float
    silent: bool
    passes_as_human: bool
    talk: float


def fate(s: Scenario, n: int) -> Fate:
    rng = random.Random(s.seed * 1_000_003 + n)
    u = rng.random()
    if u < s.answer_rate:
        kind = "human"
    elif u < s.answer_rate + s.machine_rate:
        kind = "machine"
    elif u < s.answer_rate + s.machine_rate + s.busy_rate:
        kind = "busy"
    else:
        kind = "no_answer"
    ring = min(max(rng.lognormvariate(math.log(9.0), 0.45), 3.0), 24.0)
    talk_mu = math.log(s.talk_mean) - s.talk_sigma**2 / 2
    return Fate(
        kind=kind,
        ring=4.0 if kind == "busy" else ring,
        amd_delay=rng.uniform(0.8, 2.5),
        silent=rng.random() < s.silent_share,
        passes_as_human=rng.random() < 0.12,
        talk=rng.lognormvariate(talk_mu, s.talk_sigma),
    )


@dataclass
class Agent:
    logged_in: bool = True
    busy_until: float = 0.0
    talk_started: float = -1.0


@dataclass
class Stats:
    rate: float = 0.0
    dials: int = 0
    live: int = 0
    abandoned: int = 0
    talk_seconds: float = 0.0
    agent_seconds: float = 0.0
    max_running_rate: float = 0.0
    hung_up: int = 0
    """Ringing calls the pacer hung up (after the minimum ring)."""
    hung_up_people: int = 0
    """Of those, calls that would have brought a person (lost contacts)."""


class Sim:
    """The shift; ``pacer(sim)`` returns (dial, cancel) and runs every ``period`` seconds."""

    def __init__(self, s: Scenario, pacer: Callable[[Sim], tuple[int, int]], period: float):
        self.s = s
        self.pacer = pacer
        self.period = period
        self.now = 0.0
        self.events: list[tuple[float, int, str, Any]] = []
        self.seq = 0
        self.agents = [Agent() for _ in range(s.agents)]
        self.ringing: dict[int, float] = {}  # call -> dial time
        # answered, AMD listening: call -> (dial time, answer time)
        self.answering: dict[int, tuple[float, float]] = {}
        self.waiting: deque[tuple[int, float, bool]] = deque()  # (call, verdict time, real)
        self.stats = Stats()
        # the law's ledger: our pacer spends its whole headroom (keeping its own reserve), as
        # the dialer's core does
        self.ledger = AbandonLedger(AbandonWindow("calendar_day", "UTC"), CAP, 0.0)
        self.answered_recent: deque[tuple[int, int]] = deque(maxlen=400)  # (person?, 1)
        self.to_answer: deque[float] = deque(maxlen=200)
        self.verdict_delays: deque[float] = deque(maxlen=200)
        self.handle: deque[float] = deque(maxlen=200)
        self.next_call = 0
        self.verdicts = [0, 0]  # AMD verdicts: people (or machines passing as people), all
        self.drops_recent: deque[tuple[float, bool]] = deque()

    # -- measured figures a real dialer has ------------------------------------------
    def answer_rate(self) -> float:
        done = len(self.answered_recent)
        people = sum(p for p, _ in self.answered_recent)
        return people / done if done else 0.25

    def false_positive_rate(self) -> float:
        return self.ledger.false_positives / max(self.stats.dials, 1)

    def seconds_to_answer(self) -> float:
        return sum(self.to_answer) / len(self.to_answer) if self.to_answer else 10.0

    def handling(self) -> float:
        return sum(self.handle) / len(self.handle) if self.handle else self.s.talk_mean

    def free_agents(self) -> list[Agent]:
        return [a for a in self.agents if a.logged_in and a.busy_until <= self.now]

    def busy_free_in(self) -> list[float]:
        out = []
        recent = list(self.handle)
        for a in self.agents:
            if a.logged_in and a.busy_until > self.now:
                talking = self.now - a.talk_started
                if a.busy_until - self.now <= self.s.wrap:  # in wrap-up: known
                    out.append(a.busy_until - self.now)
                else:
                    out.append(expected_remaining(talking, recent, self.s.wrap))
        return out

    def busy_detail(self) -> tuple[list[float], list[float]]:
        """Elapsed talk of agents talking; wrap-up left of agents in wrap-up."""
        talking, wrapping = [], []
        for a in self.agents:
            if a.logged_in and a.busy_until > self.now:
                if a.busy_until - self.now <= self.s.wrap:
                    wrapping.append(a.busy_until - self.now)
                else:
                    talking.append(self.now - a.talk_started)
        return talking, wrapping

    def in_hand(self) -> int:
        """Calls answered and not yet connected (AMD listening, or a person waiting)."""
        return len(self.waiting) + len(self.answering)

    def cancellable(self) -> list[int]:
        return [c for c, t in self.ringing.items() if self.now - t >= MIN_RING]

    # -- events ----------------------------------------------------------------------
    def at(self, when: float, kind: str, data: Any = None) -> None:
        self.seq += 1
        heapq.heappush(self.events, (when, self.seq, kind, data))

    def dial(self) -> None:
        n = self.next_call
        self.next_call += 1
        self.stats.dials += 1
        f = fate(self.s, n)
        self.ringing[n] = self.now
        if f.kind in ("busy", "no_answer"):
            self.at(self.now + (f.ring if f.kind == "busy" else DIAL_TIMEOUT), "over", (n, 0))
        else:
            self.at(self.now + f.ring, "answer", n)
            self.at(self.now + f.ring + f.amd_delay, "verdict", (n, f))

    def run(self) -> Stats:
        end = self.s.hours * 3600
        self.at(0.0, "tick")
        lunch = random.Random(self.s.seed).sample(self.agents, int(0.3 * len(self.agents)))
        for a in lunch:
            self.at(4 * 3600, "logout", a)
            self.at(4.5 * 3600, "login", a)
        for i, a in enumerate(self.agents):
            self.at(end - 1200 + 1200 * (i + 1) / len(self.agents), "logout", a)
        last = 0.0
        while self.events:
            when, _, kind, data = heapq.heappop(self.events)
            if when > end + 120:
                break
            logged = sum(1 for a in self.agents if a.logged_in)
            self.stats.agent_seconds += logged * (when - last)
            last = self.now = when
            getattr(self, "on_" + kind)(data)
        self.stats.rate = self.ledger.rate()
        return self.stats

    def on_tick(self, _: Any) -> None:
        if self.now < self.s.hours * 3600 and any(a.logged_in for a in self.agents):
            dial, cancel = self.pacer(self)
            for call in sorted(self.cancellable(), key=self.ringing.__getitem__)[:cancel]:
                del self.ringing[call]
                self.answered_recent.append((0, 1))
                self.stats.hung_up += 1
                self.stats.hung_up_people += fate(self.s, call).kind == "human"
            for _ in range(dial):
                self.dial()
        self.at(self.now + self.period, "tick")

    def on_over(self, data: tuple[int, int]) -> None:
        call, _ = data
        if self.ringing.pop(call, None) is not None:
            self.answered_recent.append((0, 1))

    def on_answer(self, call: int) -> None:
        # OriginateResponse Success: the dialer knows the call is up (no longer ringing, and
        # no longer a call it may hang up: that would be hanging up on whoever answered)
        dialled = self.ringing.pop(call, None)
        if dialled is not None:  # not hung up by the pacer before the answer
            self.answering[call] = (dialled, self.now)

    def on_verdict(self, data: tuple[int, Fate]) -> None:
        call, f = data
        times = self.answering.pop(call, None)
        if times is None:  # hung up by the pacer before the answer
            return
        dialled, answered = times
        self.verdicts[1] += 1
        self.verdict_delays.append(self.now - answered)
        self.verdicts[0] += f.passes_as_human if f.kind == "machine" else not f.silent
        when = self.now
        if f.kind == "human" and f.silent:
            self._machine(when, "INITIALSILENCE-2500-2500")
            self.answered_recent.append((0, 1))
            self._running_rate()
            return
        if f.kind == "machine" and not f.passes_as_human:
            self._machine(when, "LONGGREETING-1500-1500")
            self.answered_recent.append((0, 1))
            return
        self.answered_recent.append((1, 1))
        self.to_answer.append(when - dialled)
        talk = f.talk if f.kind == "human" else 8.0
        self.waiting.append((call, when, f.kind == "human"))
        self.at(when + CONNECT_WINDOW, "deadline", call)
        self.connect_waiting(talks={call: talk})

    def connect_waiting(self, talks: dict[int, float] | None = None) -> None:
        if talks:
            self._talks.update(talks)
        free = self.free_agents()
        while self.waiting and free:
            call, _, real = self.waiting.popleft()
            agent = free.pop()
            talk = self._talks.pop(call)
            agent.talk_started = self.now
            agent.busy_until = self.now + talk + self.s.wrap
            if real:
                self.stats.talk_seconds += talk
            self._live(abandoned=False)
            self.stats.live += 1
            self._running_rate()
            self.drops_recent.append((self.now, False))
            self.at(agent.busy_until, "free", agent)

    _talks: dict[int, float] = {}

    def on_deadline(self, call: int) -> None:
        for i, (c, _, _) in enumerate(self.waiting):
            if c == call:
                del self.waiting[i]
                self._talks.pop(call, None)
                self._live(abandoned=True)
                self.stats.live += 1
                self.stats.abandoned += 1
                self.drops_recent.append((self.now, True))
                self._running_rate()
                return

    def on_free(self, agent: Agent) -> None:
        # a talk time is measured when the call ends (not known at its start)
        self.handle.append(agent.busy_until - self.s.wrap - agent.talk_started)
        self.connect_waiting()

    def on_logout(self, agent: Agent) -> None:
        agent.logged_in = False

    def on_login(self, agent: Agent) -> None:
        agent.logged_in = True
        agent.busy_until = min(agent.busy_until, self.now)
        self.connect_waiting()

    def _machine(self, when: float, cause: str) -> None:
        self.ledger.record_machine(BASE + timedelta(seconds=when), cause)

    def _live(self, abandoned: bool) -> None:
        self.ledger.record_live(BASE + timedelta(seconds=self.now), abandoned=abandoned)

    def _running_rate(self) -> None:
        if self.ledger.live >= 100:
            self.stats.max_running_rate = max(self.stats.max_running_rate, self.ledger.rate())


# -- pacers ------------------------------------------------------------------------------
def ours(pacer: PredictivePacer) -> Callable[[Sim], tuple[int, int]]:
    def decide(sim: Sim) -> tuple[int, int]:
        talking, wrapping = sim.busy_detail()
        d = pacer.decide(
            PacingInput(
                free_agents=len(sim.free_agents()),
                busy_free_in=sim.busy_free_in(),
                ringing=len(sim.ringing),
                waiting=len(sim.waiting),
                answering=len(sim.answering),
                person_share=person_share(*sim.verdicts),
                answer_rate=sim.answer_rate(),
                answer_samples=len(sim.answered_recent),
                seconds_to_answer=sim.seconds_to_answer(),
                headroom=sim.ledger.headroom(BASE + timedelta(seconds=sim.now)),
                cancellable=len(sim.cancellable()),
                false_positive_rate=sim.false_positive_rate(),
                ringing_ages=[sim.now - t for t in sim.ringing.values()],
                answer_times=list(sim.to_answer),
                talk_elapsed=talking,
                wrap_left=wrapping,
                handling_times=list(sim.handle),
                wrap_up=sim.s.wrap,
                verdict_delay=sum(sim.verdict_delays) / max(len(sim.verdict_delays), 1),
            )
        )
        return d.dial, d.cancel

    return decide


def progressive_1to1(sim: Sim) -> tuple[int, int]:
    d = progressive(
        PacingInput(
            len(sim.free_agents()), (), len(sim.ringing), len(sim.waiting), 0, 0, 0,
            answering=len(sim.answering),
        )
    )  # fmt: skip
    return d.dial, 0


@dataclass
class VicidialTapered:
    """VICIdial's adaptive dial level, ADAPT_TAPERED, from its published description.

    - The dial loop (every 2.5 s) keeps ``floor(active agents x dial level)`` lines busy:
      it places that many calls minus the calls ringing, waiting and talking.
    - Every 15 s the level moves by the average of (ready agents - waiting calls) over the
      interval divided by the active agents, within [1.0, 3.0].
    - The drop rate is drops / answered since midnight, acted on after 50 answered calls.
      TAPERED allows running over the target early in the shift: the allowed rate falls
      from twice the target at the start to the target at mid-shift, then stays; over it,
      the level is cut toward 1.0, harder as the shift goes on.
    - More than 50% dropped in the last minute halves the level.
    """

    target: float = CAP
    level: float = 1.0
    max_level: float = 3.0
    samples: list[int] = field(default_factory=list)
    next_adapt: float = 15.0

    def __call__(self, sim: Sim) -> tuple[int, int]:
        active = [a for a in sim.agents if a.logged_in]
        ready = len(sim.free_agents())
        self.samples.append(ready - sim.in_hand())
        if sim.now >= self.next_adapt:
            self.next_adapt += 15.0
            self.adapt(sim, len(active))
        talking = len(active) - ready
        lines = math.floor(len(active) * self.level) - len(sim.ringing) - sim.in_hand()
        return max(0, lines - talking), 0

    def adapt(self, sim: Sim, active: int) -> None:
        if self.samples and active:
            diff = sum(self.samples) / len(self.samples)
            self.level += diff / active
        self.samples.clear()
        answered = sim.stats.live
        if answered >= 50:
            shift = sim.s.hours * 3600
            progress = min(1.0, sim.now / shift)
            allowed = self.target * max(1.0, 2.0 - 2.0 * progress)
            rate = sim.stats.abandoned / answered
            if rate > allowed:
                self.level -= (self.level - 1.0) * (0.25 + 0.75 * progress)
        while sim.drops_recent and sim.drops_recent[0][0] < sim.now - 60:
            sim.drops_recent.popleft()
        recent = len(sim.drops_recent)
        if recent >= 4 and sum(d for _, d in sim.drops_recent) / recent > 0.5:
            self.level /= 2
        self.level = min(self.max_level, max(1.0, self.level))


def run(s: Scenario, name: str) -> Stats:
    if name == "ours":  # every 0.5 s, as the product's dialer loop ticks by default
        return Sim(s, ours(PredictivePacer()), 0.5).run()
    if name == "progressive":
        return Sim(s, progressive_1to1, 1.0).run()
    return Sim(s, VicidialTapered(), 2.5).run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--agents", type=int, nargs="+", default=[20, 100])
    parser.add_argument("--talk", type=float, default=150.0, help="mean talk seconds")
    parser.add_argument("--wrap", type=float, default=10.0, help="wrap-up seconds")
    args = parser.parse_args()
    print(
        f"talk mean {args.talk:.0f} s (lognormal, sigma 0.6), wrap-up {args.wrap:.0f} s, "
        f"machines 15%, busy 8%, cap {CAP:.0%}, {args.seeds} seeds of {args.hours:.0f} h"
    )
    pacers = ("ours", "progressive", "vicidial")
    print(f"{'agents':>6} {'answer':>6} {'pacer':>12} {'talk min/agent h':>16} "
          f"{'abandon':>8} {'worst 24h':>9} {'max running':>11} {'dials':>7} "
          f"{'hung up':>7} {'lost people':>11}")  # fmt: skip
    for agents in args.agents:
        for answer in (0.20, 0.275, 0.35):
            print(f"{agents:>6} {answer:>6.1%} {'ceiling':>12} {_ceiling(answer, args):>16.1f}")
            for name in pacers:
                runs = [
                    run(
                        Scenario(
                            agents, answer, talk_mean=args.talk, wrap=args.wrap,
                            hours=args.hours, seed=seed,
                        ),
                        name,
                    )
                    for seed in range(1, args.seeds + 1)
                ]  # fmt: skip
                talk = sum(r.talk_seconds for r in runs) / 60
                hours = sum(r.agent_seconds for r in runs) / 3600
                rates = [_rate(r) for r in runs]
                print(
                    f"{agents:>6} {answer:>6.1%} {name:>12} {talk / hours:>16.1f} "
                    f"{sum(rates) / len(rates):>8.2%} {max(rates):>9.2%} "
                    f"{max(r.max_running_rate for r in runs):>11.2%} "
                    f"{sum(r.dials for r in runs) // len(runs):>7} "
                    f"{sum(r.hung_up for r in runs) // len(runs):>7} "
                    f"{_share(sum(r.hung_up_people for r in runs), sum(r.live for r in runs)):>11}",
                    flush=True,
                )


def _ceiling(answer: float, args: argparse.Namespace) -> float:
    """Talk minutes per agent hour with agents never idle: every person (less the silent
    ones AMD drops) talks ``talk`` and every machine passing as a person takes 8 s, each
    followed by the wrap-up."""
    s = Scenario(1, answer, talk_mean=args.talk, wrap=args.wrap)
    people = answer * (1 - s.silent_share)
    machines = s.machine_rate * 0.12
    busy = people * (s.talk_mean + s.wrap) + machines * (8.0 + s.wrap)
    return 60 * people * s.talk_mean / busy


def _share(part: int, whole: int) -> str:
    """``part`` as a percentage of ``part + whole`` (people hung up on of all people)."""
    return f"{part / (part + whole):.1%}" if part + whole else "-"


def _rate(r: Stats) -> float:
    return r.rate


if __name__ == "__main__":
    main()

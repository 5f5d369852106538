"""How many calls to dial now: progressive (a fixed ratio of free agents) and predictive.

The predictive pacer looks at the moment the calls it places would be answered. People
answering are ``H ~ Binomial(K, p)`` for the ``K`` calls ringing plus the new ones (``p`` the
measured answer rate); agents able to take them are the free ones plus each busy agent with
the probability of being free by then (``1 - exp(-T / r)``, ``r`` the agent's expected
remaining handling time, ``T`` the measured time to answer plus the connect window). The
expected people left without an agent, ``E[max(0, H - A)]``, are the expected abandons
(normal approximation with continuity correction).

It dials the most calls such that:

1. expected abandons stay within ``target`` of the expected answered people (the rate aimed
   at, below the cap), and
2. the chance that the calls in flight abandon more people than the window's headroom
   (:meth:`AbandonLedger.headroom`) stays under ``risk``: the running rate stays under the
   cap at every moment, not just on average.

With less than one abandon of headroom (the start of a day, or after a bad spell) it only
dials for agents who are free now: nobody can be abandoned unless an agent leaves. When agents
log out and the calls already ringing would exceed the headroom, it asks to hang up ringing
calls that have rung the minimum time (an unanswered call is not an abandon).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PacingInput:
    """What the dialer knows at one tick."""

    free_agents: int
    busy_free_in: Sequence[float]
    """Seconds until each busy agent is expected free (after talk and wrap-up)."""
    ringing: int
    waiting: int
    """People answered and waiting for an agent (inside the connect window)."""
    answer_rate: float
    """Share of dialled calls that bring a person to an agent (measured)."""
    seconds_to_answer: float
    headroom: float
    answer_samples: int = 1_000
    """Finished calls the answer rate rests on (few at the start of a day)."""
    lines_free: int = 10_000
    cancellable: int = 0
    """Ringing calls that have rung the minimum time and may be hung up (the oldest)."""
    false_positive_rate: float = 0.0
    """Estimated AMD false positives per dialled call (people taken for machines): they
    count as abandons, so the calls in flight reserve headroom for them."""
    ringing_ages: Sequence[float] = ()
    """Seconds each ringing call has rung (same length as ``ringing`` when given)."""
    answer_times: Sequence[float] = ()
    """Recent seconds from dial to a person's answer: a call ringing longer than most of
    them is less likely to bring a person."""


MIN_ANSWER_TIMES = 30
"""Answer times needed before a call's ringing time discounts its chance."""


def upper_bound(rate: float, samples: int, z: float = 3.0) -> float:
    """Wilson upper bound of a measured rate (z = 3: wrong about once in a thousand)."""
    n = max(samples, 1)
    centre = rate + z * z / (2 * n)
    spread = z * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n))
    return min(1.0, (centre + spread) / (1 + z * z / n))


def person_chances(state: PacingInput, rate: float | None = None) -> list[float]:
    """Chance that each ringing call still brings a person, oldest first.

    ``p S(a) / (p S(a) + 1 - p)`` with ``S(a)`` the share of recent answer times longer than
    the call's age ``a`` (every call at ``answer_rate`` when ages or times are unknown).
    """
    p = min(max(state.answer_rate if rate is None else rate, 0.0), 1.0)
    if len(state.answer_times) < MIN_ANSWER_TIMES or not state.ringing_ages or p in (0.0, 1.0):
        return [p] * state.ringing
    times = sorted(state.answer_times)
    n = len(times)
    out = []
    for age in sorted(state.ringing_ages, reverse=True):
        longer = n - bisect_right(times, age)
        survive = (longer + 0.5) / (n + 1)
        out.append(p * survive / (p * survive + 1 - p))
    return out


@dataclass(frozen=True)
class PacingDecision:
    """Calls to place and ringing calls to hang up, with the expected abandons."""

    dial: int
    cancel: int = 0
    expected_abandons: float = 0.0
    mode: str = ""


def progressive(state: PacingInput, ratio: float = 1.0) -> PacingDecision:
    """``ratio`` calls per free agent, counting the calls already ringing or waiting."""
    wanted = math.floor(ratio * state.free_agents + 1e-9) - state.ringing - state.waiting
    return PacingDecision(max(0, min(wanted, state.lines_free)), mode="progressive")


def expected_remaining(elapsed: float, recent_handling: Sequence[float], wrap: float) -> float:
    """An agent's expected seconds until free: the mean residual of the recent handling
    times longer than the call's ``elapsed`` talk, plus wrap-up (half the elapsed time again
    when the call is longer than every recent one)."""
    longer = [t - elapsed for t in recent_handling if t > elapsed]
    residual = sum(longer) / len(longer) if longer else max(1.0, elapsed / 2)
    return residual + wrap


_SQRT2 = math.sqrt(2.0)


def _phi(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def _cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / _SQRT2))


def _distribution(chances: Sequence[float]) -> list[float]:
    """Distribution of the number of people (Poisson-binomial), exact."""
    dist = [1.0]
    for c in chances:
        dist = _add_call(dist, c)
    return dist


def _add_call(dist: Sequence[float], chance: float) -> list[float]:
    """The distribution after one more call bringing a person with ``chance``."""
    out = [0.0] * (len(dist) + 1)
    for k, pk in enumerate(dist):
        out[k] += pk * (1 - chance)
        out[k + 1] += pk * chance
    return out


def _tail(chances: Sequence[float], at_least: int) -> float:
    """P(at least ``at_least`` people among the calls), exact."""
    if at_least <= 0:
        return 1.0
    if at_least > len(chances):
        return 0.0
    return sum(_distribution(chances)[at_least:])


@dataclass(frozen=True)
class PredictivePacer:
    """Predictive pacing under an abandon cap (see the module's docstring)."""

    target: float = 0.02
    """Expected abandons per expected answered person aimed at (below the cap)."""
    risk: float = 0.02
    """Largest chance allowed that the calls in flight exceed the headroom."""
    connect_window: float = 2.0
    max_calls_per_agent: float = 4.0

    safe_risk: float = 0.001
    """With no headroom: largest chance that more people answer than agents are free now."""

    def _safe(self, state: PacingInput, agents_now: int, p: float) -> PacingDecision:
        """Dial only while P(more people answer than free agents) <= ``safe_risk`` (exact
        Poisson-binomial at the upper bound of the answer rate); hang up the oldest ringing
        calls when those already ringing exceed it."""
        chances = person_chances(state, p)
        need = max(agents_now, 0) + 1
        cancel = 0
        while cancel < state.cancellable and _tail(chances[cancel:], need) > self.safe_risk:
            cancel += 1
        if cancel or agents_now <= 0:
            return PacingDecision(0, cancel, mode="safe")
        dist = _distribution(chances)
        dial = 0
        while dial < state.lines_free:
            nxt = _add_call(dist, p)
            if sum(nxt[need:]) > self.safe_risk:
                break
            dist, dial = nxt, dial + 1
        return PacingDecision(dial, mode="safe")

    @staticmethod
    def _excess(
        chances: Sequence[float], new: int, p: float, mean_a: float, var_a: float
    ) -> tuple[float, float]:
        """(mean, sd) of people answered minus agents able to take them."""
        mean = sum(chances) + new * p - mean_a
        var = sum(c * (1 - c) for c in chances) + new * p * (1 - p) + var_a
        return mean, math.sqrt(var) if var > 0 else 0.0

    @staticmethod
    def _expected_over(mean: float, sd: float, level: float) -> float:
        """E[max(0, X - level)] for X ~ N(mean, sd) on the integers (continuity)."""
        shifted = mean - level - 0.5
        if sd == 0:
            return max(0.0, shifted)
        z = shifted / sd
        return sd * _phi(z) + shifted * _cdf(z)

    @staticmethod
    def _p_at_least(mean: float, sd: float, count: float) -> float:
        """P(X >= count) for X ~ N(mean, sd) on the integers."""
        if sd == 0:
            return 1.0 if mean >= count else 0.0
        return 1.0 - _cdf((count - 0.5 - mean) / sd)

    def decide(self, state: PacingInput) -> PacingDecision:
        """Calls to dial (and ringing calls to hang up) now."""
        agents_now = state.free_agents - state.waiting
        p = min(max(state.answer_rate, 0.0), 1.0)
        reserve = state.false_positive_rate * state.ringing  # AMD false positives to come
        if state.headroom - reserve < 1.0:
            return self._safe(state, agents_now, upper_bound(p, state.answer_samples))
        horizon = max(0.0, state.seconds_to_answer) + self.connect_window
        q = [1.0 - math.exp(-horizon / max(r, 0.1)) for r in state.busy_free_in]
        mean_a = agents_now + sum(q)
        var_a = sum(x * (1 - x) for x in q)
        allowed = math.floor(state.headroom)  # abandons the window can still take
        agents_total = state.free_agents + len(state.busy_free_in)
        limit = min(
            state.lines_free,
            max(0, math.floor(self.max_calls_per_agent * agents_total) - state.ringing),
        )

        f = min(max(state.false_positive_rate, 0.0), 1.0)
        chances = person_chances(state)

        def risky(kept: Sequence[float], new: int) -> bool:
            calls = len(kept) + new
            mean, sd = self._excess(kept, new, p, mean_a, var_a)
            mean, sd = mean + calls * f, math.sqrt(sd * sd + calls * f * (1 - f))
            return self._p_at_least(mean, sd, allowed + 1) > self.risk

        def fits(new: int) -> tuple[bool, float]:
            mean, sd = self._excess(chances, new, p, mean_a, var_a)
            expected = self._expected_over(mean, sd, 0.0)
            people = sum(chances) + new * p
            ok = expected <= self.target * people + 1e-9 and not risky(chances, new)
            return ok, expected

        ok, expected = fits(0)
        if not ok:
            cancel = 0
            while cancel < state.cancellable and risky(chances[cancel:], 0):
                cancel += 1
            return PacingDecision(0, cancel, expected, mode="hold")
        dial = 0
        while dial < limit:
            ok, exp_next = fits(dial + 1)
            if not ok:
                break
            dial, expected = dial + 1, exp_next
        return PacingDecision(dial, 0, expected, mode="predictive")

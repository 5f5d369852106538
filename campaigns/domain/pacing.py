"""How many calls to dial now: progressive (a fixed ratio of free agents) and predictive.

The predictive pacer looks at the next seconds, checkpoint by checkpoint (every 2 s up to
the longest recent time to answer). At each checkpoint ``t`` it weighs the people answered
by ``t`` (each ringing call by its own chance, lower the longer it has rung, and its time to
answer drawn from the recent ones longer than its age plus AMD's measured delay: a call
still ringing has not answered, and its verdict comes that long after the answer; each new
call likewise) plus those already waiting and the answered calls AMD still listens to (each
a person by the measured share of verdicts),
against the agents free by ``t`` plus the connect window (free now; in wrap-up, when the
known wrap-up ends; talking, from the measured talk times longer than the talk so far). A
person beyond the agents is abandoned, so the expected abandons are the largest expected
excess over the checkpoints (normal approximation of the Poisson-binomial counts).

It dials the most calls such that:

1. the last call's person has at most a ``marginal`` chance of being abandoned, in
   proportion to the headroom to spare: the headroom the window gives as live calls come
   in is spent evenly (an even abandon rate gives more talk time than spending it all at
   once and then dialling only for free agents);
2. the expected abandons stay within ``target`` of the expected people in flight; and
3. the chance that the calls in flight abandon more people (AMD false positives included)
   than the window's headroom (:meth:`AbandonLedger.headroom`, less a ``reserve`` for the
   silent people still to come) stays under ``risk``: the running rate stays under the cap
   at every moment, not just on average.

Then it hangs up the oldest ringing calls that have rung the minimum time while the person
each might still bring would be abandoned with a chance over ``cancel_factor`` times that
marginal: few people answer that late, and those who do mostly find every agent busy; a
hung-up call is a no-answer for the lead, not an abandon, so the headroom goes to calls that
bring people when agents are free.

With less than one abandon to spend (the start of a day, or after a bad spell) it only
dials for agents certain to be there: those free now and those whose known wrap-up ends
before the people can answer, at a 0.1% chance of any abandon at the upper bound of the
answer rate (few calls measured: the rate may be much higher than measured). When
agents log out and the calls already ringing would exceed the headroom, it asks to hang up
ringing calls that have rung the minimum time (an unanswered call is not an abandon).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace


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
    talk_elapsed: Sequence[float] | None = None
    """Seconds each busy agent still talking has talked (with ``wrap_left``, replaces
    ``busy_free_in``: the chance of being free by a moment comes from ``handling_times``)."""
    wrap_left: Sequence[float] = ()
    """Seconds of wrap-up left of each busy agent whose call has ended (known)."""
    handling_times: Sequence[float] = ()
    """Recent talk seconds of finished calls."""
    wrap_up: float = 0.0
    answering: int = 0
    """Calls answered whose AMD verdict is still to come: no longer ringing (and never hung up
    by the pacer: someone answered), each a person with chance ``person_share``."""
    person_share: float = 1.0
    """Measured share of AMD verdicts that are a person (1: every answered call is)."""
    verdict_delay: float = 0.0
    """Measured mean seconds from the answer to the AMD verdict. ``answer_times`` run to the
    verdict, so a call still ringing at age ``a`` has not answered by ``a + verdict_delay``
    on that clock (it is no longer ringing once answered)."""


MIN_ANSWER_TIMES = 30
"""Answer times needed before a call's ringing time discounts its chance."""

MIN_VERDICTS = 30
"""AMD verdicts needed before an answered call counts as a person by the measured share."""


def person_share(people: int, verdicts: int) -> float:
    """Share of AMD verdicts that were a person (1 until ``MIN_VERDICTS`` are in: every
    answered call a person)."""
    return people / verdicts if verdicts >= MIN_VERDICTS else 1.0


def upper_bound(rate: float, samples: int, z: float = 3.0) -> float:
    """Wilson upper bound of a measured rate (z = 3: wrong about once in a thousand)."""
    n = max(samples, 1)
    rate = min(max(rate, 0.0), 1.0)
    centre = rate + z * z / (2 * n)
    spread = z * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n))
    return min(1.0, (centre + spread) / (1 + z * z / n))


def person_chances(state: PacingInput, rate: float | None = None) -> list[float]:
    """Chance that each ringing call still brings a person, oldest first.

    ``p S(a) / (p S(a) + 1 - p)`` with ``S(a)`` the share of recent answer times (dial to
    AMD verdict) longer than the call's age ``a`` plus the verdict delay: a call still ringing
    has not been answered, and its verdict comes that long after the answer (every call at
    ``answer_rate`` when ages or times are unknown).
    """
    p = min(max(state.answer_rate if rate is None else rate, 0.0), 1.0)
    if len(state.answer_times) < MIN_ANSWER_TIMES or not state.ringing_ages or p in (0.0, 1.0):
        return [p] * state.ringing
    times = sorted(state.answer_times)
    n = len(times)
    out = []
    delay = max(state.verdict_delay, 0.0)
    for age in sorted(state.ringing_ages, reverse=True):
        longer = n - bisect_right(times, age + delay)
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
    wanted = (
        math.floor(ratio * state.free_agents + 1e-9)
        - state.ringing
        - state.waiting
        - state.answering
    )
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


MIN_HANDLING = 20
"""Finished calls needed before busy agents' free times come from the measured talk times."""


class _Durations:
    """An empirical distribution of durations (sorted samples)."""

    def __init__(self, samples: Sequence[float]) -> None:
        self.times = sorted(samples)
        self.n = len(self.times)

    def longer(self, x: float) -> int:
        """How many samples are longer than ``x``."""
        return self.n - bisect_right(self.times, x)

    def within(self, low: float, high: float) -> int:
        """How many samples are in ``(low, high]``."""
        return bisect_right(self.times, high) - bisect_right(self.times, low)

    def still_to_come(self, age: float, by: float, delay: float) -> float:
        """Of a call still ringing at ``age`` (dial to verdict times; the verdict comes
        ``delay`` after the answer, so the call's time is over ``age + delay``): the share
        whose verdict comes within ``by`` seconds from now (1 when no sample is that long)."""
        left = self.longer(age + delay)
        return self.within(age + delay, max(age + by, age + delay)) / left if left else 1.0


def free_by(state: PacingInput, moment: float) -> list[float]:
    """Chance that each busy agent is free ``moment`` seconds from now.

    An agent in wrap-up is free once its known wrap-up ends. An agent still talking needs
    the rest of the talk plus the wrap-up: ``P(h <= e + moment - wrap | h > e)`` over the
    recent talk times ``h`` longer than the elapsed talk ``e`` (an exponential with the
    larger of the mean talk and ``e`` when fewer than 5 recent calls were longer). Without
    those details, ``1 - exp(-moment / r)`` for each expected free time ``r``."""
    if state.talk_elapsed is None:
        return [1.0 - math.exp(-max(moment, 0.0) / max(r, 0.1)) for r in state.busy_free_in]
    out = [1.0 if w <= moment else 0.0 for w in state.wrap_left]
    talk = moment - state.wrap_up
    handling = _Durations(state.handling_times)
    mean = sum(handling.times) / handling.n if handling.n else 120.0
    for e in state.talk_elapsed:
        if talk <= 0:
            out.append(0.0)
            continue
        longer = handling.longer(e) if handling.n >= MIN_HANDLING else 0
        if longer >= 5:
            out.append(handling.within(e, e + talk) / (longer + 1))
        else:
            out.append(1.0 - math.exp(-talk / max(mean, e, 1.0)))
    return out


@dataclass(frozen=True)
class Outlook:
    """People and agents over the next seconds, before any new call.

    For each checkpoint ``t``: mean and variance of ``people answered by t + waiting -
    agents free by t + connect window`` (every person beyond the agents is abandoned:
    the abandons are the largest of these excesses), and the chance that a new call brings
    a person by ``t``."""

    mean: tuple[float, ...]
    var: tuple[float, ...]
    new: tuple[float, ...]
    calls: tuple[tuple[float, ...], ...] = ()
    """Per ringing call (oldest first): its chance of a person answered by each checkpoint."""

    def excess(self, new: int) -> list[tuple[float, float]]:
        """(mean, variance) of the excess at each checkpoint with ``new`` calls more."""
        return [
            (m + new * c, v + new * c * (1 - c))
            for m, v, c in zip(self.mean, self.var, self.new, strict=True)
        ]

    def without_oldest(self, count: int) -> Outlook:
        """The outlook with the ``count`` oldest ringing calls hung up."""
        mean, var = list(self.mean), list(self.var)
        for shares in self.calls[:count]:
            for k, c in enumerate(shares):
                mean[k] -= c
                var[k] = max(0.0, var[k] - c * (1 - c))
        return Outlook(tuple(mean), tuple(var), self.new, self.calls[count:])


def outlook(state: PacingInput, connect_window: float, step: float = 2.0) -> Outlook:
    """The :class:`Outlook` of ``state`` at checkpoints every ``step`` seconds up to the
    longest recent answer time."""
    p = min(max(state.answer_rate, 0.0), 1.0)
    timed = len(state.answer_times) >= MIN_ANSWER_TIMES
    answers = _Durations(state.answer_times if timed else [max(state.seconds_to_answer, 0.0)])
    last = min(answers.times[-1], 60.0)
    ages = sorted(state.ringing_ages, reverse=True) if state.ringing_ages else []
    ages += [0.0] * max(0, state.ringing - len(ages))
    ages = ages[: state.ringing]
    chances = person_chances(state)
    checkpoints = [step * k for k in range(int(last / step) + 2)]
    q = min(max(state.person_share, 0.0), 1.0)
    delay = max(state.verdict_delay, 0.0)
    mean, var, new = [], [], []
    calls: list[list[float]] = [[] for _ in zip(ages, chances, strict=False)]
    for t in checkpoints:
        m = v = 0.0
        for i, (age, chance) in enumerate(zip(ages, chances, strict=False)):
            if timed and state.ringing_ages:
                share = answers.still_to_come(age, t, delay)
            else:
                share = 1.0 if age + t >= answers.times[0] else 0.0
            c = chance * share
            calls[i].append(c)
            m += c
            v += c * (1 - c)
        agents = free_by(state, t + connect_window)
        m += state.waiting + q * state.answering - state.free_agents - sum(agents)
        v += q * (1 - q) * state.answering + sum(a * (1 - a) for a in agents)
        mean.append(m)
        var.append(v)
        new.append(p * (answers.n - answers.longer(t)) / answers.n)
    return Outlook(tuple(mean), tuple(var), tuple(new), tuple(tuple(c) for c in calls))


def _expected_over(mean: float, var: float, level: float = 0.0) -> float:
    """E[max(0, X - level)] for X ~ N(mean, var) on the integers (continuity correction)."""
    shifted = mean - level - 0.5
    if var <= 0:
        return max(0.0, shifted)
    sd = math.sqrt(var)
    z = shifted / sd
    return sd * _phi(z) + shifted * _cdf(z)


def _p_at_least(mean: float, var: float, count: float) -> float:
    """P(X >= count) for X ~ N(mean, var) on the integers."""
    if var <= 0:
        return 1.0 if mean >= count else 0.0
    return 1.0 - _cdf((count - 0.5 - mean) / math.sqrt(var))


@dataclass(frozen=True)
class PredictivePacer:
    """Predictive pacing under an abandon cap (see the module's docstring)."""

    marginal: float = 0.004
    """Largest chance that the person a new call brings is abandoned, with ``scale``
    abandons of headroom to spare (in proportion to the spare headroom, within
    ``marginal_range``): the pacer spends the headroom the window gives as it comes, evenly,
    instead of spending it all at once and then dialling only for free agents."""
    scale: float = 8.0
    scale_per_agent: float = 0.4
    """``scale`` grows with the agents (``scale_per_agent`` each): more agents, more people a
    minute, so a spare headroom of a few abandons is spent faster."""
    marginal_range: tuple[float, float] = (0.0005, 0.05)
    target: float = 0.03
    """Expected abandons per expected answered person of the calls in flight."""
    risk: float = 0.01
    """Largest chance that the calls in flight exceed the headroom."""
    reserve: float = 1.0
    """Abandons of headroom kept for the AMD false positives to come (silent people)."""
    reserve_per_agent: float = 0.05
    """The reserve grows with the agents (silent people come faster): 5 with 100 agents."""
    connect_window: float = 2.0
    max_calls_per_agent: float = 4.0
    cancel_factor: float = 6.0
    """A ringing call past the minimum ring is hung up when its person would be abandoned with
    a chance over ``cancel_factor`` times the dialling ``marginal``: few people answer that
    late, and those who do mostly come when no agent is free; hanging it up is no abandon and
    leaves the headroom to calls that bring people when agents are free (the lead keeps a
    no-answer, retried by its rules). ``math.inf``: never."""

    safe_risk: float = 0.001
    """With no headroom: largest chance that a person finds no agent (free now, or at the end
    of a known wrap-up)."""

    def _safe(self, state: PacingInput, agents_now: int) -> PacingDecision:
        """No abandon to spend: dial only while the chance that a person finds no agent stays
        within ``safe_risk``. Agents counted: those free now and those whose known wrap-up
        ends (an agent still talking is not counted). People arriving before the next
        wrap-up ends (less the connect window) have only the agents free by then, so the risk
        is the sum over those spans of P(more people by its end than its agents): exact
        Poisson-binomial counts at the upper bound of the answer rate (few calls measured,
        and the first to end are the quick failures), each call's share of people by then
        from the recent times to answer.
        Hangs up the oldest ringing calls when those already ringing exceed it."""
        spans = self._spans(state, agents_now)
        p = upper_bound(min(max(state.answer_rate, 0.0), 1.0), state.answer_samples)
        cancel = 0
        while (
            cancel < state.cancellable and self._safe_risk(state, spans, p, cancel) > self.safe_risk
        ):
            cancel += 1
        if cancel or spans[-1][0] <= 0:
            return PacingDecision(0, cancel, mode="safe")
        news = [self._shares(state, end, 0)[1] for _, end in spans]
        dists = self._safe_dists(state, spans, p, 0)
        dial = 0
        while dial < state.lines_free:
            nxt = [_add_call(d, p * new) for d, new in zip(dists, news, strict=True)]
            if self._risk_of(nxt, spans) > self.safe_risk:
                break
            dists, dial = nxt, dial + 1
        return PacingDecision(dial, mode="safe")

    def _spans(self, state: PacingInput, agents_now: int) -> list[tuple[int, float]]:
        """(agents, end) of each span: people arriving within ``end`` seconds from now have
        the agents free now and those whose wrap-up ends by ``end`` plus the connect window;
        the last span is the whole future (``end`` infinite)."""
        ends = sorted(w - self.connect_window for w in state.wrap_left if math.isfinite(w))
        agents = agents_now + sum(1 for e in ends if e <= 0)
        spans: list[tuple[int, float]] = []
        for end in (e for e in ends if e > 0):
            spans.append((agents, end))
            agents += 1
        spans.append((agents, math.inf))
        return spans

    @staticmethod
    def _shares(state: PacingInput, end: float, cancel: int) -> tuple[list[float], float]:
        """Shares of the people of each ringing call (oldest first, less the ``cancel``
        oldest) and of a new call who answer within ``end`` seconds (all of them without
        enough answer times: the earliest is assumed)."""
        ringing = state.ringing - cancel
        if not math.isfinite(end) or len(state.answer_times) < MIN_ANSWER_TIMES:
            return [1.0] * ringing, 1.0
        answers = _Durations(state.answer_times)
        new = (answers.n - answers.longer(end)) / answers.n
        if not state.ringing_ages:
            return [new] * ringing, new
        shares = []
        delay = max(state.verdict_delay, 0.0)
        for age in sorted(state.ringing_ages, reverse=True)[cancel:]:
            shares.append(answers.still_to_come(age, end, delay))
        return shares, new

    def _safe_dists(
        self, state: PacingInput, spans: Sequence[tuple[int, float]], p: float, cancel: int
    ) -> list[list[float]]:
        """Per span: the distribution of people by the span's end from the ringing calls
        (the oldest ``cancel`` hung up) at answer rate ``p``."""
        chances = person_chances(state, p)[cancel:]
        out = []
        for _, end in spans:
            dist = [1.0]  # those waiting are counted out of the agents
            for c, part in zip(chances, self._shares(state, end, cancel)[0], strict=False):
                dist = _add_call(dist, c * part)
            out.append(dist)
        return out

    @staticmethod
    def _risk_of(dists: Sequence[Sequence[float]], spans: Sequence[tuple[int, float]]) -> float:
        """Sum over the spans of P(more people than agents)."""
        return sum(sum(d[agents + 1 :]) for d, (agents, _) in zip(dists, spans, strict=True))

    def _safe_risk(
        self, state: PacingInput, spans: Sequence[tuple[int, float]], p: float, cancel: int
    ) -> float:
        """The risk of the calls already ringing (the oldest ``cancel`` hung up)."""
        return self._risk_of(self._safe_dists(state, spans, p, cancel), spans)

    def expected_abandons(self, view: Outlook, new: int) -> float:
        """Expected people left without an agent with ``new`` calls more."""
        return max(_expected_over(m, v) for m, v in view.excess(new))

    def over_headroom(self, view: Outlook, new: int, calls: int, f: float, allowed: int) -> float:
        """Chance that abandons plus AMD false positives of the ``calls`` in flight exceed
        ``allowed``. A false positive is an abandon whatever the agents: with agents to spare
        (people less agents far below zero) the false positives alone can exceed it."""
        fp_mean, fp_var = calls * f, calls * f * (1 - f)
        alone = _p_at_least(fp_mean, fp_var, allowed + 1) if f > 0 else 0.0
        return max(
            alone,
            *(_p_at_least(m + fp_mean, v + fp_var, allowed + 1) for m, v in view.excess(new)),
        )

    @staticmethod
    def agents(state: PacingInput) -> int:
        """Logged-in agents: free and busy."""
        busy = (
            len(state.busy_free_in)
            if state.talk_elapsed is None
            else (len(state.talk_elapsed) + len(state.wrap_left))
        )
        return state.free_agents + busy

    def reserve_for(self, state: PacingInput) -> float:
        """Abandons of headroom never spent by the calls placed now."""
        return max(self.reserve, self.reserve_per_agent * self.agents(state))

    def decide(self, state: PacingInput) -> PacingDecision:
        """Calls to dial (and ringing calls to hang up) now."""
        agents_now = state.free_agents - state.waiting - state.answering
        p = min(max(state.answer_rate, 0.0), 1.0)
        f = min(max(state.false_positive_rate, 0.0), 1.0)
        agents_total = self.agents(state)
        reserve = self.reserve_for(state)
        in_flight = state.ringing + state.answering
        spare = state.headroom - reserve - f * in_flight
        if spare < 1.0 or p <= 0.0:
            return self._safe(state, agents_now)
        allowed = math.floor(state.headroom - reserve)
        limit = min(
            state.lines_free,
            max(0, math.floor(self.max_calls_per_agent * agents_total) - state.ringing),
        )
        view = outlook(state, self.connect_window)
        people = sum(person_chances(state))
        expected = self.expected_abandons(view, 0)
        risky = self.over_headroom(view, 0, in_flight, f, allowed) > self.risk
        if risky:
            cancel = 0
            ages = sorted(state.ringing_ages, reverse=True)
            while cancel < state.cancellable:
                cancel += 1
                kept = replace(
                    state,
                    ringing=state.ringing - cancel,
                    ringing_ages=ages[cancel:] if ages else (),
                )
                kept_view = outlook(kept, self.connect_window)
                if self.over_headroom(kept_view, 0, in_flight - cancel, f, allowed) <= self.risk:
                    break
            return PacingDecision(0, cancel, expected, mode="hold")
        low, high = self.marginal_range
        scale = max(self.scale, self.scale_per_agent * agents_total)
        marginal = min(max(self.marginal * spare / scale, low), high)
        dial = 0
        while dial < limit:
            nxt = self.expected_abandons(view, dial + 1)
            if nxt - expected > marginal * p + 1e-12:
                break
            if nxt > self.target * (people + (dial + 1) * p) + 1e-9:
                break
            if self.over_headroom(view, dial + 1, in_flight + dial + 1, f, allowed) > self.risk:
                break
            dial, expected = dial + 1, nxt
        cancel, expected = self._late_calls(state, view, dial, expected, marginal)
        return PacingDecision(dial, cancel, expected, mode="predictive")

    def _late_calls(
        self, state: PacingInput, view: Outlook, dial: int, expected: float, marginal: float
    ) -> tuple[int, float]:
        """How many of the oldest cancellable ringing calls to hang up (with the expected
        abandons then): each in turn while the abandons it adds (those of its own person and
        those it takes an agent from) exceed ``cancel_factor x marginal`` times its chance
        of a person."""
        if not math.isfinite(self.cancel_factor) or not state.cancellable:
            return 0, expected
        chances = person_chances(state)
        cancel = 0
        while cancel < min(state.cancellable, len(view.calls)):
            rest = view.without_oldest(1)
            kept = self.expected_abandons(rest, dial)
            if expected - kept <= self.cancel_factor * marginal * chances[cancel] + 1e-12:
                break
            cancel, expected, view = cancel + 1, kept, rest
        return cancel, expected

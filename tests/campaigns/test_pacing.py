"""Pacing against hand-computed cases: progressive ratio, the no-headroom rule (start of a
day, agents logging out), predictive dialing within the abandon budget."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.domain.pacing import (
    PacingInput,
    PredictivePacer,
    expected_remaining,
    free_by,
    outlook,
    person_chances,
    progressive,
    upper_bound,
)


def state(**kw: object) -> PacingInput:
    """A pacing input with neutral defaults."""
    base: dict[str, object] = dict(
        free_agents=0, busy_free_in=(), ringing=0, waiting=0, answer_rate=0.25,
        seconds_to_answer=10.0, headroom=0.0, answer_samples=1_000_000,
    )  # fmt: skip
    base.update(kw)
    return PacingInput(**base)  # type: ignore[arg-type]


def test_progressive_counts_calls_already_out() -> None:
    """1:1 with 5 free agents, 2 ringing and 1 waiting dials 2; 1.5:1 with 4 free dials 6."""
    assert progressive(state(free_agents=5, ringing=2, waiting=1)).dial == 2
    assert progressive(state(free_agents=4), ratio=1.5).dial == 6
    assert progressive(state(free_agents=1, ringing=3)).dial == 0


def test_no_headroom_dials_only_what_free_agents_can_take() -> None:
    """Headroom 0, 2 free agents, answer rate 5%: P(3 or more people of 4 calls) = 4.8e-4 is
    within 1e-3, of 5 calls 1.16e-3 is not: 4 calls. At 50%, 3 calls give 1/8: 2 calls."""
    pacer = PredictivePacer()
    assert pacer.decide(state(free_agents=2, answer_rate=0.05)).dial == 4
    assert pacer.decide(state(free_agents=2, answer_rate=0.5)).dial == 2


def test_agents_logging_out_hang_up_ringing_calls() -> None:
    """No free agent and no headroom: the 3 ringing calls past the minimum ring are hung up,
    nothing is dialled."""
    decision = PredictivePacer().decide(state(ringing=5, cancellable=3))
    assert (decision.dial, decision.cancel) == (0, 3)


def test_start_of_day_distrusts_a_rate_measured_on_few_calls() -> None:
    """The same measured 25% on 10 calls dials fewer than on a million (upper bound used)."""
    pacer = PredictivePacer()
    few = pacer.decide(state(free_agents=10, answer_samples=10)).dial
    many = pacer.decide(state(free_agents=10)).dial
    assert 10 <= few < many
    assert upper_bound(0.25, 10) > 0.5 and upper_bound(0.25, 1_000_000) == pytest.approx(0.25, 1e-2)


def test_predictive_overdials_within_the_budget() -> None:
    """With headroom, agents about to be free attract calls: more than progressive, with the
    expected abandons under 2% of expected people; less headroom dials fewer."""
    pacer = PredictivePacer()
    busy = [5.0] * 10 + [200.0] * 10
    rich = pacer.decide(state(free_agents=10, busy_free_in=busy, headroom=50))
    poor = pacer.decide(state(free_agents=10, busy_free_in=busy, headroom=1.5))
    assert rich.mode == "predictive" and rich.dial > 10
    assert rich.expected_abandons <= 0.02 * 0.25 * rich.dial + 1e-9
    assert poor.dial < rich.dial


def test_long_ringing_calls_are_less_likely_to_bring_a_person() -> None:
    """Thirty answers after 5, 10 and 15 s and a 50% rate: a call ringing 12 s keeps
    p S / (p S + 1 - p) with S = 10.5 / 31; at 20 s, S = 0.5 / 31 (oldest listed first).
    With fewer than 30 answer times, no discount."""
    times = [5.0] * 10 + [10.0] * 10 + [15.0] * 10
    chances = person_chances(
        state(ringing=2, answer_rate=0.5, ringing_ages=(12.0, 20.0), answer_times=times)
    )
    # 12 s: 10 of 30 longer -> S = 10.5 / 31; 20 s: none -> S = 0.5 / 31
    s12, s20 = 10.5 / 31, 0.5 / 31
    assert chances == pytest.approx([s20 / (s20 + 1), s12 / (s12 + 1)])
    few = person_chances(state(ringing=1, answer_rate=0.5, ringing_ages=(20.0,), answer_times=(5,)))
    assert few == [0.5]


def test_expected_free_time_from_recent_handling() -> None:
    """Recent calls of 100, 200, 300 s: 150 s into a call, 100 s remain on average (+10 s
    wrap-up); past every recent call, half the elapsed time again."""
    assert expected_remaining(150, [100, 200, 300], 10) == pytest.approx(110)
    assert expected_remaining(400, [100, 200, 300], 10) == pytest.approx(210)


def test_agents_in_wrap_up_are_free_when_it_ends() -> None:
    """Wrap-up left 3 s and 9 s: free by 5 s is (1, 0). Talking 100 s with recent talks of
    50, 120, 130 and 300 s (times 5 each, 20 in all) and 10 s wrap-up: by 45 s the talk must
    end within 35 s of elapsed 100, 10 of the 15 longer calls do (smoothed: 10 / 16); by
    35 s (talk ending by 125 s), 5 do."""
    handling = [50.0, 120.0, 130.0, 300.0] * 5
    s = state(talk_elapsed=(100.0,), wrap_left=(3.0, 9.0), handling_times=handling, wrap_up=10)
    assert free_by(s, 5.0)[:2] == [1.0, 0.0]
    assert free_by(s, 45.0)[2] == pytest.approx(10 / 16)
    assert free_by(s, 35.0)[2] == pytest.approx(5 / 16)
    assert free_by(s, 8.0)[2] == 0.0  # the wrap-up alone takes 10 s


def test_calls_are_placed_for_agents_finishing_within_the_ring_time() -> None:
    """Five agents 4 s from the end of their wrap-up attract calls (people answer after about
    10 s); five agents 20 s into calls of about 150 s attract almost none."""
    handling = [150.0] * 40
    common = dict(answer_rate=0.25, headroom=30.0, handling_times=handling, wrap_up=10.0)
    soon = PredictivePacer().decide(state(talk_elapsed=(), wrap_left=(4.0,) * 5, **common))
    late = PredictivePacer().decide(state(talk_elapsed=(20.0,) * 5, wrap_left=(), **common))
    assert soon.mode == late.mode == "predictive"
    assert soon.dial > 5 > late.dial


def test_more_spare_headroom_allows_a_larger_abandon_chance() -> None:
    """The same agents with 40 abandons of headroom dial at least as many as with 4."""
    busy = [5.0] * 10 + [200.0] * 10
    poor = PredictivePacer().decide(state(free_agents=3, busy_free_in=busy, headroom=4))
    rich = PredictivePacer().decide(state(free_agents=3, busy_free_in=busy, headroom=40))
    assert rich.dial >= poor.dial
    assert rich.dial > 3


def test_reserve_kept_for_silent_people() -> None:
    """Headroom 1.9 with one abandon kept for AMD false positives: under one abandon to
    spend, so only the free agents are dialled for (safe mode)."""
    decision = PredictivePacer().decide(state(free_agents=4, headroom=1.9))
    assert decision.mode == "safe"


_states = st.builds(
    state,
    free_agents=st.integers(0, 30),
    busy_free_in=st.lists(st.floats(0.5, 400.0), max_size=30),
    ringing=st.integers(0, 40),
    waiting=st.integers(0, 5),
    answer_rate=st.floats(0.05, 0.6),
    seconds_to_answer=st.floats(3.0, 20.0),
    headroom=st.floats(0.0, 60.0),
    false_positive_rate=st.floats(0.0, 0.02),
)


@settings(max_examples=150, deadline=None)
@given(_states)
def test_calls_in_flight_never_expect_more_abandons_than_the_headroom(s: PacingInput) -> None:
    """Whatever the state, when the pacer dials, the abandons its model expects from every
    call in flight plus the expected AMD false positives stay within the headroom less the
    reserve; with no headroom to spend it dials no more than the free agents can take at a
    0.1% risk (safe mode)."""
    pacer = PredictivePacer()
    decision = pacer.decide(s)
    if decision.mode == "predictive" and decision.dial:
        fp = s.false_positive_rate * (s.ringing + decision.dial)
        assert decision.expected_abandons + fp <= s.headroom - pacer.reserve_for(s)
    if s.headroom - pacer.reserve_for(s) - s.false_positive_rate * s.ringing < 1.0:
        assert decision.mode == "safe"
        assert decision.dial == 0 or s.free_agents - s.waiting > 0


def test_no_headroom_counts_agents_whose_wrap_up_ends_before_anyone_can_answer() -> None:
    """No headroom, no free agent: with no agent in wrap-up nothing is dialled; one agent
    whose wrap-up ends in 4 s (people answer after 8 s or more) takes the next person as a
    free agent would (the same calls); one ending in 30 s adds nothing for people answering
    within 28 s, so fewer calls than for a free agent."""
    times = [8.0, 10.0, 12.0] * 10
    common = dict(answer_rate=0.2, answer_times=times, talk_elapsed=(), wrap_up=10.0)
    pacer = PredictivePacer()
    none = pacer.decide(state(**common))
    soon = pacer.decide(state(wrap_left=(4.0,), **common))
    free = pacer.decide(state(free_agents=1, **common))
    late = pacer.decide(state(wrap_left=(30.0,), **common))
    assert none.mode == soon.mode == free.mode == "safe"
    assert none.dial == 0
    assert soon.dial == free.dial > 0
    assert late.dial < free.dial


def test_a_rate_over_one_at_the_start_of_day_is_taken_as_one() -> None:
    """People are counted at the AMD verdict, calls when they end: early in a day 3 people of
    2 finished calls give a measured rate of 1.5, read as 100% (one call per free agent)."""
    decision = PredictivePacer().decide(state(free_agents=3, answer_rate=1.5, answer_samples=2))
    assert decision.mode == "safe" and decision.dial == 3
    assert upper_bound(1.5, 2) == 1.0


def test_a_late_ringing_call_is_hung_up_when_no_agent_will_take_its_person() -> None:
    """Headroom to spend, 20 agents talking 20 s into calls of 150 s (none free for a
    minute), and two calls ringing 16 s (past the 15 s minimum) with answer times of 8-20 s:
    a person from them would be abandoned, so the oldest at least is hung up (a no-answer for
    the lead, not an abandon). With the agents free, or with hanging up switched off, none
    is."""
    times = [8.0, 10.0, 12.0, 16.0, 20.0] * 10
    common: dict[str, object] = dict(
        answer_rate=0.3, headroom=20.0, answer_times=times, ringing=2,
        ringing_ages=(16.0, 16.5), cancellable=2, handling_times=[150.0] * 40, wrap_up=10.0,
    )  # fmt: skip
    busy = state(talk_elapsed=(20.0,) * 20, wrap_left=(), **common)
    free = state(free_agents=20, talk_elapsed=(), wrap_left=(), **common)
    assert PredictivePacer().decide(busy).cancel >= 1
    assert PredictivePacer().decide(free).cancel == 0
    assert PredictivePacer(cancel_factor=math.inf).decide(busy).cancel == 0


_timed_states = st.builds(
    state,
    free_agents=st.integers(0, 25),
    ringing=st.shared(st.integers(0, 30), key="ringing"),
    ringing_ages=st.shared(st.integers(0, 30), key="ringing").flatmap(
        lambda n: st.lists(st.floats(0.0, 26.0), min_size=n, max_size=n)
    ),
    waiting=st.integers(0, 3),
    answer_rate=st.floats(0.1, 0.5),
    headroom=st.floats(2.5, 40.0),
    answer_times=st.lists(st.floats(3.0, 26.0), min_size=30, max_size=60),
    talk_elapsed=st.lists(st.floats(0.0, 400.0), max_size=20),
    wrap_left=st.lists(st.floats(0.0, 10.0), max_size=5),
    handling_times=st.lists(st.floats(5.0, 600.0), min_size=20, max_size=40),
    wrap_up=st.just(10.0),
).map(lambda s: replace(s, cancellable=sum(1 for a in s.ringing_ages if a >= 15.0)))


@settings(max_examples=150, deadline=None)
@given(_timed_states)
def test_hanging_up_late_calls_oracle(s: PacingInput) -> None:
    """Whatever the state: the pacer hangs up no more calls than have rung the minimum time;
    the calls it places are the same with hanging up switched off (the hang-ups come after
    the dialling decision); each call hung up would have added, had it been kept, more than
    ``cancel_factor x marginal`` abandons per chance of a person (checked from the outlook);
    and when the free agents can take every person in flight, nothing is hung up."""
    pacer = PredictivePacer()
    decision = pacer.decide(s)
    never = PredictivePacer(cancel_factor=math.inf).decide(s)
    assert decision.cancel <= s.cancellable
    assert decision.dial == never.dial and never.cancel in (0, decision.cancel)
    if decision.mode != "predictive":
        return
    assert never.cancel == 0
    if s.free_agents - s.waiting >= s.ringing + decision.dial:
        assert decision.cancel == 0
    view = outlook(s, pacer.connect_window)
    chances = person_chances(s)
    spare = s.headroom - pacer.reserve_for(s) - s.false_positive_rate * s.ringing
    scale = max(pacer.scale, pacer.scale_per_agent * pacer.agents(s))
    low, high = pacer.marginal_range
    marginal = min(max(pacer.marginal * spare / scale, low), high)
    for k in range(decision.cancel):
        before = pacer.expected_abandons(view.without_oldest(k), decision.dial)
        after = pacer.expected_abandons(view.without_oldest(k + 1), decision.dial)
        assert before - after > pacer.cancel_factor * marginal * chances[k]
    assert decision.expected_abandons == pytest.approx(
        pacer.expected_abandons(view.without_oldest(decision.cancel), decision.dial)
    )


def test_false_positives_alone_never_exceed_the_headroom() -> None:
    """25 free agents, a 12.5% answer rate, 1.6% of calls AMD false positives (silent people
    taken for machines, each an abandon whatever the agents) and 1.65 abandons to spend: the
    agents could take every person of a hundred calls, but the false positives of those calls
    alone would spend the headroom, so the pacer dials far fewer."""
    s = state(
        free_agents=25, busy_free_in=[1.0, 1.0], answer_rate=0.125, seconds_to_answer=3.0,
        headroom=3.0, false_positive_rate=0.015625,
    )  # fmt: skip
    pacer = PredictivePacer()
    decision = pacer.decide(s)
    assert decision.mode == "predictive" and 0 < decision.dial
    spare = s.headroom - pacer.reserve_for(s)
    assert decision.expected_abandons + s.false_positive_rate * decision.dial <= spare


def test_answered_calls_awaiting_amd_count_by_the_measured_share_of_people() -> None:
    """Calls answered with AMD still listening are no longer ringing: each is a person with
    the measured share. With 4 free agents and 4 such calls, a share of 1 (every one a person,
    as before enough verdicts) leaves no agent to dial for; a share of 0.3 expects 1.2
    people, so the pacer dials again. Busy agents' free times are exponential (mean 300 s)."""
    pacer = PredictivePacer()
    base: dict[str, object] = dict(free_agents=4, busy_free_in=[300.0] * 16, headroom=30.0)
    certain = pacer.decide(state(**base, answering=4, person_share=1.0))
    measured = pacer.decide(state(**base, answering=4, person_share=0.3))
    assert certain.dial == 0
    assert measured.dial > 0
    view = outlook(state(free_agents=4, answering=6, person_share=0.3), 2.0)
    assert view.mean[0] == pytest.approx(0.3 * 6 - 4, abs=1e-6)
    assert view.var[0] == pytest.approx(6 * 0.3 * 0.7, abs=1e-6)
    assert progressive(state(free_agents=4, answering=3)).dial == 1


def test_a_ringing_call_is_judged_by_its_answer_not_its_amd_verdict() -> None:
    """Recent dial-to-verdict times run 8 to 14 s, and AMD takes 2 s after the answer. A call
    still ringing at 12.5 s would have answered by 12 s to be one of them, so it almost surely
    brings no one; counting the 2 s (as when the delay is unknown) would give it about a
    quarter of the answer rate's chance. Its person, if any, comes after the AMD's 2 s."""
    times = [8.0 + 6.0 * k / 39 for k in range(40)]
    base: dict[str, object] = dict(
        ringing=1, ringing_ages=[12.5], answer_times=times, answer_rate=0.3
    )
    (unknown,) = person_chances(state(**base))
    (measured,) = person_chances(state(**base, verdict_delay=2.0))
    assert unknown > 0.05
    assert measured < 0.01
    young = state(ringing=1, ringing_ages=[5.0], answer_times=times, verdict_delay=2.0)
    view = outlook(young, 2.0)
    assert view.calls[0][0] == 0.0  # no verdict now: the call still rings
    assert view.calls[0][1] == 0.0  # nor within 2 s: an answer now gives its verdict at 2 s
    assert view.calls[0][-1] == pytest.approx(person_chances(young)[0])

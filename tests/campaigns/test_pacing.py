"""Pacing against hand-computed cases: progressive ratio, the no-headroom rule (start of a
day, agents logging out), predictive dialing within the abandon budget."""

from __future__ import annotations

import pytest

from campaigns.domain.pacing import (
    PacingInput,
    PredictivePacer,
    expected_remaining,
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

"""The dialer's pure core: results for the lead, AMD verdicts, the 72 h guard, windows,
Anatel's short-call cap, and pacing that keeps abandons under the cap from the first call of
the day and when agents log out (a seeded simulation, no I/O)."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from campaigns.dialer.core import Agents, DialerCore, Stage
from campaigns.dialer.leads import DialLead, LeadPhone
from campaigns.dialer.originate import DialerDialplan, originate_action
from campaigns.dialer.plan import DialingPlan, dialing_plan
from campaigns.domain.anatel import ShortCallCounter
from campaigns.domain.campaign import CampaignIn, RetryRuleIn, new_campaign
from campaigns.domain.errors import CampaignError
from campaigns.domain.profiles import BR, UK
from campaigns.domain.retry import Result
from campaigns.port import BusyAgent

T0 = datetime(2026, 12, 2, 12, 30, tzinfo=UTC)  # Wednesday 09:30 in São Paulo
SP = ("America/Sao_Paulo",)


def _plan(**kw: object) -> DialingPlan:
    base = DialingPlan("c1", "telemarketing", "ativo", caller_id="030312345678", profile=BR)
    return replace(base, **kw)  # type: ignore[arg-type]


def _leads(n: int, zones: tuple[str, ...] = SP) -> list[DialLead]:
    return [DialLead(i, (LeadPhone(f"+55119{i:08d}", zones),), state="SP") for i in range(1, n + 1)]


def _one_call(core: DialerCore, at: datetime = T0) -> str:
    orders = core.tick(at, Agents(1))
    assert len(orders.dial) == 1
    return orders.dial[0].attempt_id


def test_originate_results_map_to_lead_results() -> None:
    """OriginateResponse reasons 3, 5, 8 and 0 are no answer, busy, failed (congestion) and
    failed; each is retried after its cool-down, never final on the first try."""
    for reason, result in (("3", "no_answer"), ("5", "busy"), ("8", "failed"), ("0", "failed")):
        core = DialerCore(_plan(), _leads(1), T0)
        outcome = core.not_answered(_one_call(core), reason, T0 + timedelta(seconds=20))
        assert outcome is not None and outcome.result.value == result
        assert not outcome.decision.final and outcome.decision.not_before is not None
        assert outcome.decision.not_before > T0


def test_person_connected_is_final_and_counted_live() -> None:
    """HUMAN after the answer: waiting for an agent; bridged: connected; the end makes the
    lead final (reached) and the ledger counts one live call, no abandon."""
    core = DialerCore(_plan(), _leads(1), T0)
    attempt = _one_call(core)
    core.answered(attempt, T0 + timedelta(seconds=4))
    assert core.amd(attempt, "HUMAN", "HUMAN-800-800", T0 + timedelta(seconds=7)) is Stage.WAITING
    core.connected(attempt, T0 + timedelta(seconds=8))
    outcome = core.ended(attempt, T0 + timedelta(seconds=90))
    assert outcome is not None and outcome.result is Result.HUMAN and outcome.decision.final
    assert (core.ledger.live, core.ledger.abandoned) == (1, 0)
    assert core.book.remaining() == 0 and core.done


def test_person_not_connected_in_two_seconds_is_abandoned_and_guarded_72_hours() -> None:
    """No agent 2 s after the verdict: due for the safe-harbour message, counted abandoned,
    and the lead may not be dialled again within 72 h even with the window open."""
    core = DialerCore(_plan(), _leads(1), T0)
    attempt = _one_call(core)
    core.answered(attempt, T0)
    core.amd(attempt, "HUMAN", "HUMAN-800-800", T0 + timedelta(seconds=3))
    assert core.due_abandons(T0 + timedelta(seconds=4.9)) == []
    assert core.due_abandons(T0 + timedelta(seconds=5)) == [attempt]
    core.abandoned(attempt, T0 + timedelta(seconds=5))
    ended = T0 + timedelta(seconds=20)
    outcome = core.ended(attempt, ended)
    assert outcome is not None and outcome.result is Result.ABANDONED
    assert outcome.decision.not_before is not None
    assert outcome.decision.not_before >= ended + timedelta(hours=72)
    lead = core.book.leads[1]
    monday_noon = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)  # window open, 70 h later
    assert core.book.dialable(lead, monday_noon) is None
    later = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)  # Monday, over 72 h
    assert core.book.dialable(lead, later) is not None
    assert core.ledger.rate() == 1.0


def test_silent_answer_is_a_person_unless_the_plan_says_machine() -> None:
    """MACHINE INITIALSILENCE (a silent person to AMD's defaults) waits for an agent; with
    ``silence_is_person=False`` it is a machine counted as a possible false positive."""
    core = DialerCore(_plan(), _leads(1), T0)
    attempt = _one_call(core)
    core.answered(attempt, T0)
    assert core.amd(attempt, "MACHINE", "INITIALSILENCE-2500-2500", T0) is Stage.WAITING
    strict = DialerCore(_plan(silence_is_person=False), _leads(1), T0)
    attempt = _one_call(strict)
    strict.answered(attempt, T0)
    assert strict.amd(attempt, "MACHINE", "INITIALSILENCE-2500-2500", T0) is Stage.MACHINE
    assert strict.ledger.silent_machines == 1 and strict.ledger.false_positives == 1
    machine = DialerCore(_plan(), _leads(1), T0)
    attempt = _one_call(machine)
    machine.answered(attempt, T0)
    assert machine.amd(attempt, "MACHINE", "LONGGREETING-1500-1500", T0) is Stage.MACHINE
    outcome = machine.ended(attempt, T0 + timedelta(seconds=30))
    assert outcome is not None and outcome.result is Result.MACHINE
    assert machine.ledger.false_positives == pytest.approx(BR.amd_false_positive_share)


def test_calling_window_and_zones() -> None:
    """A phone in Acre (07:30 there) is not dialled at 09:30 in São Paulo; Sunday nobody."""
    core = DialerCore(_plan(), _leads(2, ("America/Rio_Branco",)) + _leads(1), T0)
    orders = core.tick(T0, Agents(5))
    assert [d.lead_id for d in orders.dial] == [1]
    sunday = DialerCore(_plan(), _leads(3), T0)
    assert sunday.tick(datetime(2026, 12, 6, 15, 0, tzinfo=UTC), Agents(5)).dial == ()


def test_short_calls_are_counted_and_block_the_number_at_the_cap() -> None:
    """Calls ending within 6 s of the answer count against the presented number's daily cap;
    at the cap the campaign places no call."""
    counter = ShortCallCounter(cap=2)
    core = DialerCore(_plan(), _leads(5), T0, short_calls=counter)
    for _ in range(2):
        attempt = _one_call(core)
        core.answered(attempt, T0)
        core.amd(attempt, "MACHINE", "LONGGREETING-1500-1500", T0 + timedelta(seconds=2))
        outcome = core.ended(attempt, T0 + timedelta(seconds=4))
        assert outcome is not None and outcome.short_call
    figures = core.figures(T0)
    assert (figures.short_calls, figures.short_call_cap) == (2, 2)
    assert core.tick(T0, Agents(5)).dial == ()


def test_paused_and_stopped_campaigns_place_no_calls() -> None:
    """Pause and stop keep calls in progress but place no new ones."""
    core = DialerCore(_plan(), _leads(5), T0)
    core.pause()
    assert core.tick(T0, Agents(5)).dial == ()
    core.resume()
    assert len(core.tick(T0, Agents(2)).dial) == 2
    core.stop()
    assert core.tick(T0, Agents(5)).dial == ()


def test_plan_from_a_stored_campaign_and_the_0303_rule() -> None:
    """``dialing_plan`` reads the stored campaign (lists, mode, retry rules, window); a
    Brazilian telemarketing caller id without 0303 is refused; the ring time is at least the
    profile's 15 s."""
    fields = CampaignIn(
        name="Vendas", kind="telemarketing", queue="ativo", caller_id="1130000000",
        profile="BR", mode="predictive", ratio=1.5, list_ids=[3, 4],
        retry={"busy": RetryRuleIn(cool_down_minutes=5, max_attempts=2)},
    )  # fmt: skip
    plan = dialing_plan(new_campaign(fields, 9, T0))
    assert (plan.campaign_id, plan.mode, plan.lists) == ("9", "predictive", ("3", "4"))
    assert plan.max_abandon_rate <= 0.03 and plan.profile is BR
    assert plan.retry_policy.rules[Result.BUSY].cool_down == timedelta(minutes=5)
    assert plan.calling_window.allows(T0, SP, "SP")
    assert not plan.calling_window.allows(datetime(2026, 12, 6, 15, 0, tzinfo=UTC), SP, "SP")
    with pytest.raises(CampaignError) as refused:
        plan.presented_number  # noqa: B018
    assert refused.value.code == "caller_id_not_0303"
    assert replace(plan, ring_seconds=5).ring_timeout == 15.0
    uk = dialing_plan(new_campaign(fields.model_copy(update={"profile": "UK"}), 10, T0))
    assert uk.presented_number == "1130000000" and uk.profile is UK


def test_originate_carries_campaign_lead_and_ring_time() -> None:
    """Originate: Async into [dialer] s 1, the number's channel, ring time in ms, the 0303
    caller id and the campaign, lead, customer and machine treatment as variables."""
    core = DialerCore(_plan(machine_treatment="hangup"), _leads(1), T0)
    (dial,) = core.tick(T0, Agents(1)).dial
    action = originate_action(core.plan, dial, DialerDialplan("Local/{number}@customers"))
    assert action["Channel"] == "Local/5511900000001@customers"
    assert (action["Context"], action["Exten"], action["Priority"]) == ("dialer", "s", "1")
    assert action["Async"] == "true" and int(action["Timeout"]) >= 15_000
    assert action["CallerID"] == "<030312345678>"
    assert action["Variable"] == "CAMPAIGN_ID=c1,LEAD_ID=1,CUSTOMER_ID=,DIALER_MACHINE=hangup"
    assert action["ChannelId"] == f"dialer-{dial.attempt_id}"  # linkedid known at once


def test_agents_logging_out_hang_up_ringing_calls_once() -> None:
    """Predictive with calls ringing when every agent logs out: the calls that rang the
    minimum 15 s are hung up (once each), younger ones are left to ring; none is dialled."""
    core = DialerCore(_plan(mode="predictive"), _leads(50), T0)
    placed = core.tick(T0, Agents(10)).dial
    assert placed
    young = core.tick(T0 + timedelta(seconds=10), Agents(0))
    assert young.dial == () and young.cancel == ()
    later = T0 + timedelta(seconds=16)
    orders = core.tick(later, Agents(0))
    assert orders.dial == () and set(orders.cancel) <= {d.attempt_id for d in placed}
    assert orders.cancel
    assert not set(core.tick(later, Agents(0)).cancel) & set(orders.cancel)


@dataclass
class _Call:
    attempt: str
    answer_at: float | None  # seconds of ringing before a person answers (None: no answer)
    machine: bool
    placed: float


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("mode", ["predictive", "progressive"])
def test_abandons_stay_under_the_cap_from_the_start_of_day_and_when_agents_leave(
    seed: int, mode: str
) -> None:
    """Seeded hour: 12 agents (on a call or in their known 5 s wrap-up), 30% of calls reach a
    person, 10% machines; at minute 30 eight agents log out. After every second the day's
    real abandons are within 3% of the people reached (none before 34 people), and the rate
    with false positives is under the cap at the end."""
    rng = random.Random(seed)
    core = DialerCore(_plan(mode=mode), _leads(3000), T0)
    busy_until: list[float] = [0.0] * 12
    calls: list[_Call] = []
    waiting: list[tuple[str, float]] = []
    for second in range(3600):
        now = T0 + timedelta(seconds=second)
        if second == 1800:
            busy_until = busy_until[:4]  # eight agents log out
        for call in list(calls):  # the calls' own progress
            if call.answer_at is None and second - call.placed >= 20:
                core.not_answered(call.attempt, "3", now)
                calls.remove(call)
            elif call.answer_at is not None and second - call.placed >= call.answer_at:
                core.answered(call.attempt, now)
                status = "MACHINE" if call.machine else "HUMAN"
                cause = "LONGGREETING-1500-1500" if call.machine else "HUMAN-800-800"
                if core.amd(call.attempt, status, cause, now) is Stage.MACHINE:
                    core.ended(call.attempt, now + timedelta(seconds=10))
                else:
                    waiting.append((call.attempt, second))
                calls.remove(call)
        for attempt, since in list(waiting):  # an agent free takes the person
            free = [i for i, t in enumerate(busy_until) if t <= second]
            if free:
                talk = rng.expovariate(1 / 90) + 20
                busy_until[free[0]] = second + talk + 5
                core.connected(attempt, now)
                core.ended(attempt, now + timedelta(seconds=talk))
                waiting.remove((attempt, since))
        for attempt in core.due_abandons(now):
            core.abandoned(attempt, now)
            core.ended(attempt, now)
            waiting = [w for w in waiting if w[0] != attempt]
        free_now = sum(1 for t in busy_until if t <= second)
        busy = [
            BusyAgent("wrap_up", 5 - (t - second), t - second)
            if t - second <= 5
            else BusyAgent("on_call", second - (t - 110))
            for t in busy_until
            if t > second
        ]
        orders = core.tick(now, Agents(free_now, busy, 5.0))
        for dial in orders.dial:
            roll = rng.random()
            answer = rng.uniform(3, 12) if roll < 0.4 else None
            calls.append(_Call(dial.attempt_id, answer, 0.3 <= roll < 0.4, second))
        assert core.ledger.abandoned <= 0.03 * core.ledger.live, (second, core.ledger)
    assert core.ledger.rate() <= 0.03
    assert core.ledger.live > 100


def test_agents_in_wrap_up_attract_more_calls_than_agents_starting_a_call() -> None:
    """The same headroom and recent talk times: ten agents 2 s from the end of their wrap-up
    are free within the ring time, so the predictive core dials more for them than for ten
    agents 2 s into a call (an agent's state, not only his seconds in it, decides); an agent
    whose wrap-up ends with a disposition is not counted free."""

    def core() -> DialerCore:
        c = DialerCore(_plan(mode="predictive"), _leads(500), T0)
        for n in range(600):  # a day so far: 600 people, 6 abandons, talks of 100 s
            at = T0 + timedelta(seconds=n)
            c.ledger.record_live(at, abandoned=n % 100 == 0)
            c._handling.append(100.0)
            c._answer_times.append(8.0)
        c._finished_dials, c._persons = 2000, 600
        return c

    later = T0 + timedelta(minutes=20)
    wrapping = [BusyAgent("wrap_up", 8.0, 2.0)] * 10
    starting = [BusyAgent("on_call", 2.0)] * 10
    held = [BusyAgent("wrap_up", 8.0, None)] * 10
    agents = Agents(0, wrapping, 10.0)
    assert agents.wrapping() == [2.0] * 10 and agents.talking() == []
    assert Agents(0, starting, 10.0).talking() == [2.0] * 10
    assert Agents(0, [BusyAgent("ringing", 1.0)]).talking() == [0.0]
    for_wrap = len(core().tick(later, agents).dial)
    for_talk = len(core().tick(later, Agents(0, starting, 10.0)).dial)
    for_held = len(core().tick(later, Agents(0, held, 10.0)).dial)
    assert for_wrap > for_talk >= for_held
    assert for_wrap > 10  # about 3 calls per agent at a 30% answer rate


def test_an_answered_call_is_never_hung_up_by_the_pacer() -> None:
    """Every agent logs out while one call AMD is listening to (answered at 10 s) and
    another still rings: at 16 s only the ringing one is hung up (hanging up the answered
    one would hang up on whoever answered), and the pacer sees one call answering."""
    core = DialerCore(_plan(mode="predictive"), _leads(50), T0)
    placed = [d.attempt_id for d in core.tick(T0, Agents(10)).dial]
    assert len(placed) >= 2
    core.answered(placed[0], T0 + timedelta(seconds=10))
    later = T0 + timedelta(seconds=16)
    state = core._pacing_input(later, Agents(0), 10_000)
    assert (state.answering, state.ringing) == (1, len(placed) - 1)
    orders = core.tick(later, Agents(0))
    assert orders.cancel and placed[0] not in orders.cancel


def test_the_pacer_gets_the_measured_time_from_answer_to_amd_verdict() -> None:
    """Two calls answered at 8 s and 9 s get their AMD verdicts 1.5 s and 2.5 s later: the
    pacer is told AMD takes 2 s on average (none measured before the first verdict)."""
    core = DialerCore(_plan(mode="predictive"), _leads(50), T0)
    placed = [d.attempt_id for d in core.tick(T0, Agents(10)).dial]
    assert core._pacing_input(T0, Agents(10), 10_000).verdict_delay == 0.0
    for attempt, answer, verdict in ((placed[0], 8.0, 9.5), (placed[1], 9.0, 11.5)):
        core.answered(attempt, T0 + timedelta(seconds=answer))
        core.amd(attempt, "HUMAN", "HUMAN-800-800", T0 + timedelta(seconds=verdict))
    later = T0 + timedelta(seconds=12)
    assert core._pacing_input(later, Agents(10), 10_000).verdict_delay == pytest.approx(2.0)

"""Routing behaviour: fair order, priority, ring-no-answer, pauses, limits, escalation."""

from __future__ import annotations

import pytest

from acd.domain import (
    NO_ANSWER,
    AcdError,
    AgentState,
    CancelOffer,
    EscalationStep,
    ExitEmpty,
    IllegalTransition,
    OfferCallback,
    Overflow,
    QueueConfig,
    QueueEvent,
    QueueLogRecord,
    Rejected,
    Router,
    Timeout,
    WhenNoAgents,
    stats_from_log,
)

from .helpers import offers


def test_freed_agent_takes_the_oldest_call_across_his_queues() -> None:
    """An agent in two queues takes the call that waited longest, whichever queue it is in."""
    router = Router(
        [QueueConfig(name="sales", skills={"s": 1}), QueueConfig(name="help", skills={"h": 1})]
    )
    router.call_arrived("new-sales", "sales", 20.0)
    router.call_arrived("old-help", "help", 10.0)  # clock clamps to 20: arrives second
    router.call_arrived("newer-help", "help", 30.0)
    decisions = router.login("both", {"s": 1, "h": 1}, 40.0)
    assert offers(decisions) == [("new-sales", "both")]


def test_priority_beats_waiting_time_across_queues() -> None:
    """A VIP caller that just arrived in another queue goes before an older normal caller."""
    router = Router([QueueConfig(name="sales"), QueueConfig(name="vip")])
    router.call_arrived("normal", "sales", 0.0)
    router.call_arrived("vip", "vip", 50.0, priority=5)
    assert offers(router.login("a", {}, 60.0)) == [("vip", "a")]
    assert router.position("normal") == 1


def test_queue_weight_breaks_ties_between_equal_priorities() -> None:
    """With equal caller priority, the heavier queue is served first."""
    router = Router([QueueConfig(name="light"), QueueConfig(name="heavy", weight=2)])
    router.call_arrived("old", "light", 0.0)
    router.call_arrived("young", "heavy", 5.0)
    assert offers(router.login("a", {}, 6.0)) == [("young", "a")]


def test_vip_position_and_fifo_within_priority() -> None:
    """Positions follow priority first, then arrival; a VIP jumps ahead of normal callers."""
    router = Router([QueueConfig(name="q")])
    for n in range(3):
        router.call_arrived(f"n{n}", "q", float(n))
    router.call_arrived("vip", "q", 5.0, priority=9)
    assert router.waiting_calls("q") == ["vip", "n0", "n1", "n2"]
    assert [router.position(c) for c in ("vip", "n0", "n2")] == [1, 2, 4]


def test_ring_no_answer_pauses_agent_and_call_keeps_its_place() -> None:
    """A missed call pauses the agent ('no answer'); the call is re-offered at once, still first."""
    router = Router([QueueConfig(name="q")])
    router.login("sleepy", {}, 0.0)
    router.call_arrived("first", "q", 1.0)
    router.call_arrived("second", "q", 2.0)
    router.login("other", {}, 3.0)  # only 'second' is left for him
    assert router.agent("other").call_id == "second"
    router.call_arrived("third", "q", 4.0)
    router.login("third-agent", {}, 5.0)
    router.agent_ringing("first", 6.0)
    assert router.agent("sleepy").state is AgentState.RINGING
    router.call_arrived("fourth", "q", 8.0)
    decisions = router.agent_no_answer("first", 20.0)
    view = router.agent("sleepy")
    assert view.state is AgentState.PAUSED and view.pause_reason == NO_ANSWER
    assert offers(decisions) == []  # nobody free: 'first' waits, ahead of 'fourth'
    assert router.waiting_calls("q") == ["first", "fourth"]
    events = [r.event for r in router.drain_log()[-2:]]
    assert events == [QueueEvent.RINGNOANSWER, QueueEvent.PAUSE]
    router.agent_answered("second", 21.0)
    router.call_ended("second", 30.0)
    assert router.agent("other").call_id == "first"


def test_ring_no_answer_reoffers_to_a_free_agent_immediately() -> None:
    """With another agent free, the missed call is offered to him in the same step."""
    router = Router([QueueConfig(name="q")])
    router.login("a", {}, 0.0)
    router.call_arrived("c", "q", 1.0)
    router.login("b", {}, 2.0)
    assert offers(router.agent_no_answer("c", 10.0)) == [("c", "b")]


def test_pause_reasons_survive_unpause_and_are_timed() -> None:
    """After unpause the last reason is still readable and the paused time is kept per reason."""
    router = Router([QueueConfig(name="q")])
    router.login("a", {}, 0.0)
    router.pause("a", "lunch", 10.0)
    router.pause("a", "training", 40.0)  # change of reason
    router.unpause("a", 100.0)
    view = router.agent("a")
    assert view.state is AgentState.AVAILABLE
    assert view.pause_reason is None and view.last_pause_reason == "training"
    assert router.stats(100.0).agents["a"].pause_time == {"lunch": 30.0, "training": 60.0}


def test_illegal_transitions_are_refused_clearly() -> None:
    """Pausing a ringing agent or logging out on a call fails with a message and changes nothing."""
    router = Router([QueueConfig(name="q")])
    router.login("a", {}, 0.0)
    router.call_arrived("c", "q", 1.0)
    with pytest.raises(IllegalTransition, match="'a' cannot pause: he is reserved"):
        router.pause("a", "lunch", 2.0)
    router.agent_answered("c", 3.0)
    with pytest.raises(IllegalTransition, match="cannot log out: he is on_call"):
        router.logout("a", 4.0)
    with pytest.raises(IllegalTransition, match="cannot unpause"):
        router.unpause("a", 4.0)
    with pytest.raises(IllegalTransition, match="cannot log in"):
        router.login("a", {}, 4.0)
    assert router.agent("a").state is AgentState.ON_CALL
    with pytest.raises(AcdError, match="report its end with call_ended"):
        router.call_abandoned("c", 5.0)
    with pytest.raises(AcdError, match="unknown queue 'nope'"):
        router.call_arrived("x", "nope", 5.0)
    with pytest.raises(AcdError, match="already in queue"):
        router.call_arrived("c", "q", 5.0)
    with pytest.raises(AcdError, match="unknown agent"):
        router.pause("ghost", "lunch", 5.0)
    with pytest.raises(AcdError, match="cannot ring: it is connected"):
        router.agent_ringing("c", 5.0)


def test_wrap_up_ends_on_tick_or_early() -> None:
    """After a call the agent wraps up; the tick frees him when due, or he finishes early."""
    router = Router([QueueConfig(name="q", wrap_up_seconds=30)])
    router.login("a", {}, 0.0)
    router.call_arrived("c1", "q", 1.0)
    router.agent_answered("c1", 2.0)
    router.call_ended("c1", 10.0)
    assert router.agent("a").state is AgentState.WRAP_UP
    assert offers(router.call_arrived("c2", "q", 11.0)) == []
    assert router.tick(39.0) == []
    assert offers(router.tick(40.0)) == [("c2", "a")]
    router.agent_answered("c2", 41.0)
    router.call_ended("c2", 50.0)
    router.call_arrived("c3", "q", 51.0)
    assert offers(router.wrap_up_done("a", 52.0)) == [("c3", "a")]


def test_max_wait_times_out() -> None:
    """A caller who waited max_wait leaves with a Timeout and EXITWITHTIMEOUT."""
    router = Router([QueueConfig(name="q", max_wait=60)])
    router.call_arrived("c", "q", 0.0)
    assert router.tick(59.9) == []
    assert router.tick(60.0) == [Timeout("c", "q", 60.0)]
    assert router.drain_log()[-1].event is QueueEvent.EXITWITHTIMEOUT
    assert router.stats(61.0).queues["q"].timed_out == 1


def test_max_length_refuses_extra_callers() -> None:
    """The caller beyond max_length is rejected as full and never enters."""
    router = Router([QueueConfig(name="q", max_length=2)])
    router.call_arrived("c1", "q", 0.0)
    router.call_arrived("c2", "q", 1.0)
    assert router.call_arrived("c3", "q", 2.0) == [Rejected("c3", "q", "full")]
    assert router.waiting_calls("q") == ["c1", "c2"]


def test_no_agents_join_refuse_and_leave() -> None:
    """join waits anyway; refuse rejects newcomers; leave also sends waiting callers away."""
    router = Router(
        [
            QueueConfig(name="join"),
            QueueConfig(name="refuse", when_no_agents=WhenNoAgents.REFUSE),
            QueueConfig(name="leave", when_no_agents=WhenNoAgents.LEAVE, skills={"x": 1}),
        ]
    )
    assert router.call_arrived("j", "join", 0.0) == []
    assert router.call_arrived("r", "refuse", 0.0) == [Rejected("r", "refuse", "no_agents")]
    router.login("a", {"x": 1}, 1.0)  # takes 'j'
    router.agent_answered("j", 2.0)
    router.login("b", {"x": 1}, 2.0)
    router.pause("b", "lunch", 3.0)
    assert router.call_arrived("l1", "leave", 4.0) == []  # 'a' is on a call: still staffed
    router.call_ended("j", 5.0)  # 'a' takes l1
    router.call_arrived("l2", "leave", 6.0)
    router.agent_answered("l1", 6.0)
    router.call_ended("l1", 7.0)  # takes l2
    router.call_arrived("l3", "leave", 8.0)
    router.agent_no_answer("l2", 9.0)  # 'a' paused: nobody staffed any more
    assert router.waiting_calls("leave") == []
    log = [r.event for r in router.drain_log()]
    assert log.count(QueueEvent.EXITEMPTY) == 2


def test_leave_when_empty_on_logout() -> None:
    """The last agent able to serve logging out sends the callers of a 'leave' queue away."""
    router = Router(
        [
            QueueConfig(
                name="q",
                skills={"x": 3},
                when_no_agents=WhenNoAgents.LEAVE,
                escalation=(EscalationStep(after=100, relax={"x": 1}),),
            )
        ]
    )
    router.login("junior", {"x": 1}, 0.0)  # serves q only after 100 s, but counts as present
    assert router.call_arrived("c1", "q", 1.0) == []
    assert router.call_arrived("c2", "q", 2.0) == []
    assert router.logout("junior", 3.0) == [ExitEmpty("c1", "q"), ExitEmpty("c2", "q")]
    assert router.stats(3.0).queues["q"].exited_empty == 2
    assert router.call_arrived("c3", "q", 4.0) == [Rejected("c3", "q", "no_agents")]


def test_escalation_lowers_level_then_adds_other_queues_agents() -> None:
    """After 30 s level 1 is enough; after 60 s the billing team helps; no earlier."""
    router = Router(
        [
            QueueConfig(
                name="tech",
                skills={"tech": 4},
                escalation=(
                    EscalationStep(after=30, relax={"tech": 1}),
                    EscalationStep(after=60, add_queue_agents=("billing",)),
                ),
            ),
            QueueConfig(name="billing", skills={"billing": 2}),
        ]
    )
    router.login("junior", {"tech": 1}, 0.0)
    router.login("biller", {"billing": 3}, 0.0)
    router.call_arrived("c1", "tech", 0.0)
    router.call_arrived("c2", "tech", 1.0)
    assert router.tick(29.0) == []
    assert offers(router.tick(30.0)) == [("c1", "junior")]
    router.agent_answered("c1", 31.0)
    assert offers(router.tick(60.5)) == []
    assert offers(router.tick(61.0)) == [("c2", "biller")]


def test_escalation_with_alternative_skills_and_overflow() -> None:
    """Extra skills widen the pool; at the last step the call moves to the overflow queue."""
    router = Router(
        [
            QueueConfig(
                name="fr",
                skills={"french": 3},
                escalation=(
                    EscalationStep(after=20, add_skills=({"english": 5},)),
                    EscalationStep(after=40, overflow_to="general"),
                ),
            ),
            QueueConfig(name="general", skills={"general": 1}),
        ]
    )
    router.login("anglo", {"english": 4}, 0.0)
    router.call_arrived("c", "fr", 0.0)
    assert router.tick(25.0) == []  # english 4 < 5
    decisions = router.tick(40.0)
    assert decisions == [Overflow("c", "fr", "general")]
    assert router.waiting_calls("general") == ["c"]
    assert offers(router.login("g", {"general": 1}, 41.0)) == [("c", "g")]
    stats = router.stats(41.0)
    assert stats.queues["fr"].overflowed == 1 and stats.queues["general"].offered == 1


def test_callback_offer_keeps_place_and_lifts_max_wait() -> None:
    """The callback step offers a callback; once accepted the call keeps its place past max wait."""
    router = Router(
        [QueueConfig(name="q", max_wait=120, escalation=(EscalationStep(after=60, callback=True),))]
    )
    router.call_arrived("c1", "q", 0.0)
    router.call_arrived("c2", "q", 1.0)
    assert router.tick(60.0) == [OfferCallback("c1", "q")]
    assert router.tick(61.0) == [OfferCallback("c2", "q")]
    router.callback_accepted("c1", 62.0)
    assert router.tick(200.0) == [Timeout("c2", "q", 199.0)]  # c2 declined (said nothing)
    decisions = router.login("a", {}, 300.0)
    assert len(decisions) == 1 and decisions[0].callback is True  # type: ignore[union-attr]


def test_ring_timeout_takes_the_offer_back() -> None:
    """An offer never answered nor reported is cancelled after ring timeout + grace."""
    router = Router([QueueConfig(name="q", ring_timeout=10)])
    router.login("a", {}, 0.0)
    router.login("b", {}, 1.0)
    router.call_arrived("c", "q", 2.0)
    decisions = router.tick(17.0)
    assert decisions[0] == CancelOffer("c", "a", "q", "ring_timeout")
    assert offers(decisions) == [("c", "b")]
    assert router.agent("a").pause_reason == NO_ANSWER


def test_position_and_expected_wait() -> None:
    """Expected wait = position x recent handling time / agents serving the queue."""
    router = Router([QueueConfig(name="q", default_handle_time=120)])
    router.login("a", {}, 0.0)
    router.login("b", {}, 0.0)
    for n in range(4):
        router.call_arrived(f"c{n}", "q", 1.0 + n)
    assert router.position("c0") == 0  # being offered
    assert router.expected_wait("c0") == 0.0
    assert router.position("c3") == 2
    assert router.expected_wait("c3") == pytest.approx(2 * 120 / 2)
    router.agent_answered("c0", 10.0)
    router.call_ended("c0", 70.0)  # 60 s handled: recent AHT is now 60
    assert router.position("c3") == 1
    assert router.expected_wait("c3") == pytest.approx(1 * 60 / 2)


def test_announcements_list_every_waiting_caller() -> None:
    """Announcements give each waiting caller his position and expected wait, VIPs first."""
    router = Router([QueueConfig(name="q", default_handle_time=60)])
    router.login("a", {}, 0.0)
    router.call_arrived("ringing", "q", 1.0)
    router.call_arrived("normal", "q", 2.0)
    router.call_arrived("vip", "q", 3.0, priority=1)
    assert router.announcements("q") == [("vip", 1, 60.0), ("normal", 2, 120.0)]
    assert [router.expected_wait(c) for c in ("vip", "normal")] == [60.0, 120.0]


def test_expected_wait_unknown_without_agents() -> None:
    """With nobody logged in the expected wait is unknown (None), not zero."""
    router = Router([QueueConfig(name="q")])
    router.call_arrived("c", "q", 0.0)
    assert router.expected_wait("c") is None


def test_abandon_while_ringing_frees_the_agent() -> None:
    """A caller hanging up while the agent rings frees him for the next call."""
    router = Router([QueueConfig(name="q")])
    router.login("a", {}, 0.0)
    router.call_arrived("c1", "q", 1.0)
    router.call_arrived("c2", "q", 2.0)
    assert offers(router.call_abandoned("c1", 3.0)) == [("c2", "a")]
    events = [r.event for r in router.drain_log()]
    assert QueueEvent.RINGCANCELED in events and QueueEvent.ABANDON in events


def test_bad_ids_and_times_are_refused_without_changes() -> None:
    """Empty ids, ids with the log separator and non-finite times raise AcdError."""
    router = Router([QueueConfig(name="q")])
    with pytest.raises(AcdError, match="agent id must be"):
        router.login("", {}, 0.0)
    with pytest.raises(AcdError, match="call id must be"):
        router.call_arrived("a|b", "q", 0.0)
    with pytest.raises(AcdError, match="finite number"):
        router.call_arrived("c", "q", float("nan"))
    with pytest.raises(AcdError, match="finite number"):
        router.tick(float("inf"))
    assert router.agents == {} and router.calls == {} and router.drain_log() == []
    assert router.call_arrived("c", "q", 1.0) == []


def test_events_out_of_order_are_applied_at_the_latest_time() -> None:
    """An event stamped before the last one is applied at the last time (no negative waits)."""
    router = Router([QueueConfig(name="q")])
    router.call_arrived("c", "q", 100.0)
    router.login("a", {}, 90.0)
    router.agent_answered("c", 95.0)
    record = router.drain_log()[-1]
    assert record.event is QueueEvent.CONNECT and record.time == 100.0
    assert router.stats(100.0).queues["q"].hold_time == 0.0


def test_refused_request_does_not_move_the_clock() -> None:
    """A request refused for a bad state does not drag later events to its (wrong) time."""
    router = Router([QueueConfig(name="q")])
    router.login("a", {}, 0.0)
    with pytest.raises(IllegalTransition):
        router.unpause("a", 5000.0)
    router.call_arrived("c", "q", 10.0)
    assert router.drain_log()[-1].time == 10.0


def test_restart_restores_paused_agents_and_waiting_callers_in_place() -> None:
    """After a restart, agents come back paused and callers keep their original place."""
    router = Router(
        [
            QueueConfig(
                name="q", max_wait=300, escalation=(EscalationStep(after=120, overflow_to="o"),)
            ),
            QueueConfig(name="o"),
        ]
    )
    assert router.login("a", {}, 1000.0, paused_reason="lunch") == []
    assert router.agent("a").state is AgentState.PAUSED
    router.call_arrived("new", "q", 1000.0)
    router.call_arrived("old", "q", 1000.0, entered_at=950.0)
    assert router.waiting_calls("q") == ["old", "new"]
    # a caller who had already waited past the overflow step moves on at once
    decisions = router.call_arrived("older", "q", 1000.0, entered_at=870.0)
    assert decisions == [Overflow("older", "q", "o")]
    assert offers(router.unpause("a", 1001.0)) == [("old", "a")]  # waited since 950
    router.agent_answered("old", 1002.0)
    router.call_ended("old", 1010.0)
    assert router.agent("a").call_id == "new"  # 'older' re-entered queue o at 1000, after 'new'
    stats = router.stats(1020.0)
    assert stats.queues["q"].hold_time == 1002.0 - 950.0
    assert stats_from_log(log_of(router), router.configs, 1020.0) == stats


def log_of(router: Router) -> list[QueueLogRecord]:
    """Everything the router has logged so far."""
    return router.drain_log()

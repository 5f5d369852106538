"""The agent desktop's rules in the pure router: pause after the call, wrap-up held until the
call's disposition when the queue has codes, wrap-up extended."""

from __future__ import annotations

import pytest

from acd.domain import (
    NO_ANSWER,
    AgentState,
    DispositionCode,
    DispositionRequired,
    NoCall,
    QueueConfig,
    QueueEvent,
    Router,
)

from .helpers import offers

CODES = (DispositionCode(code="sale", label="Venda"), DispositionCode(code="no", label="Nao"))


def _talking(wrap: float = 10.0, codes: tuple[DispositionCode, ...] = ()) -> Router:
    """Agent a1 connected to call c1 of queue q at t=3."""
    router = Router([QueueConfig(name="q", wrap_up_seconds=wrap, dispositions=codes)])
    router.login("a1", {}, 0.0)
    assert offers(router.call_arrived("c1", "q", 1.0)) == [("c1", "a1")]
    router.agent_answered("c1", 3.0)
    return router


def test_pause_after_call_applies_once_the_wrap_up_ends() -> None:
    """Asked during the call, the pause starts when the wrap-up's timer runs out; a new call
    is not offered to him; without a call the request is no_call."""
    router = _talking()
    router.pause_after_call("a1", "lunch", 4.0)
    assert router.agent("a1").pause_after == "lunch"
    router.call_ended("c1", 5.0)
    assert router.agent("a1").state is AgentState.WRAP_UP
    assert router.agent("a1").wrap_until == 15.0
    router.call_arrived("c2", "q", 6.0)
    assert offers(router.tick(16.0)) == []
    view = router.agent("a1")
    assert (view.state, view.pause_reason, view.pause_after) == (AgentState.PAUSED, "lunch", None)
    with pytest.raises(NoCall):
        router.pause_after_call("a1", "lunch", 17.0)
    assert offers(router.unpause("a1", 18.0)) == [("c2", "a1")]


def test_pause_after_call_without_wrap_up_and_cancel() -> None:
    """No wrap-up: paused at the call's end; a cancelled request leaves him available."""
    router = _talking(wrap=0)
    router.pause_after_call("a1", "break", 4.0)
    router.call_ended("c1", 5.0)
    assert router.agent("a1").pause_reason == "break"
    router.unpause("a1", 6.0)
    router.call_arrived("c2", "q", 7.0)
    router.agent_answered("c2", 8.0)
    router.pause_after_call("a1", "break", 8.5)
    router.pause_after_call("a1", None, 9.0)
    router.call_ended("c2", 10.0)
    assert router.agent("a1").state is AgentState.AVAILABLE


def test_pause_after_call_replaces_the_no_answer_pause() -> None:
    """A missed ring with a pause pending pauses him with his reason, not "no answer"."""
    router = Router([QueueConfig(name="q")])
    router.login("a1", {}, 0.0)
    router.call_arrived("c1", "q", 1.0)
    router.pause_after_call("a1", "lunch", 1.5)
    router.agent_no_answer("c1", 2.0)
    assert router.agent("a1").pause_reason == "lunch"
    router.unpause("a1", 3.0)
    router.call_arrived("c2", "q", 4.0)
    router.agent_no_answer("c1", 5.0)
    assert router.agent("a1").pause_reason == NO_ANSWER


def test_wrap_up_is_held_until_the_disposition_when_the_queue_has_codes() -> None:
    """With codes, the timer running out does not free him, nor does ending or pausing;
    the disposition ends the wrap-up (WRAPUPEND logged) and he takes the next call."""
    router = _talking(wrap=5, codes=CODES)
    router.call_ended("c1", 10.0)
    router.call_arrived("c2", "q", 11.0)
    assert offers(router.tick(30.0)) == []
    assert router.agent("a1").state is AgentState.WRAP_UP and router.agent("a1").wrap_held
    with pytest.raises(DispositionRequired):
        router.wrap_up_done("a1", 31.0)
    with pytest.raises(DispositionRequired):
        router.pause("a1", "lunch", 31.0)
    assert router.disposition_given("a1", "other", 32.0) == []
    assert offers(router.disposition_given("a1", "c1", 33.0)) == [("c2", "a1")]
    assert any(r.event is QueueEvent.WRAPUPEND for r in router.drain_log())


def test_codes_give_a_wrap_up_even_without_wrap_up_time() -> None:
    """wrap_up_seconds 0 with codes: the agent still waits in wrap-up for the disposition;
    a disposition given during the call lets the wrap-up end by itself."""
    router = _talking(wrap=0, codes=CODES)
    router.call_ended("c1", 5.0)
    assert router.agent("a1").state is AgentState.WRAP_UP
    router.pause_after_call("a1", "lunch", 6.0)
    router.disposition_given("a1", "c1", 7.0)
    assert router.agent("a1").pause_reason == "lunch"
    router.unpause("a1", 8.0)
    router.call_arrived("c2", "q", 9.0)
    router.agent_answered("c2", 10.0)
    router.disposition_given("a1", "c2", 11.0)
    router.call_ended("c2", 12.0)
    assert router.agent("a1").state is AgentState.AVAILABLE


def test_extend_wrap_up() -> None:
    """Extending moves the timer; outside wrap-up it is no_call."""
    router = _talking(wrap=10)
    with pytest.raises(NoCall):
        router.extend_wrap_up("a1", 30, 4.0)
    router.call_ended("c1", 5.0)
    router.extend_wrap_up("a1", 30, 6.0)
    assert router.agent("a1").wrap_until == 45.0
    router.tick(20.0)
    assert router.agent("a1").state is AgentState.WRAP_UP
    router.tick(46.0)
    assert router.agent("a1").state is AgentState.AVAILABLE


def test_disposition_codes_are_unique() -> None:
    """A queue cannot list one code twice."""
    with pytest.raises(ValueError, match="unique"):
        QueueConfig(name="q", dispositions=(CODES[0], CODES[0]))

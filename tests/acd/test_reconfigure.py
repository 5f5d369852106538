"""A queue change swaps the queues' settings and touches nothing else (pure router)."""

from __future__ import annotations

import pytest

from acd.domain import (
    AgentState,
    EscalationStep,
    Offer,
    QueueConfig,
    QueueEvent,
    QueueInUse,
    Router,
    Timeout,
)

from .helpers import offers

SALES = QueueConfig(name="vendas", skills={"sales": 1})
SUPPORT = QueueConfig(name="suporte", skills={"support": 1})


def changed(config: QueueConfig, **fields: object) -> QueueConfig:
    """``config`` with ``fields`` changed, validated as the API would."""
    return QueueConfig.model_validate({**config.model_dump(), **fields})


def test_a_ringing_call_goes_on_ringing_and_agents_keep_their_clocks() -> None:
    """While 2007 rings for a vendas caller, changing suporte (or vendas) cancels nothing,
    moves no agent's time in state and writes no ADDMEMBER/PAUSE record."""
    router = Router([SALES, SUPPORT])
    router.login("2001", {"support": 2}, 0.0)
    router.login("2007", {"sales": 3}, 1.0)
    router.pause("2001", "lunch", 2.0)
    assert offers(router.call_arrived("c1", "vendas", 5.0)) == [("c1", "2007")]
    router.agent_ringing("c1", 6.0)
    router.drain_log()
    before = {a: router.agent(a) for a in ("2001", "2007")}

    support = changed(SUPPORT, wrap_up_seconds=30.0, ring_timeout=5.0)
    assert router.reconfigure([SALES, support], 8.0) == []
    assert router.reconfigure([changed(SALES, ring_timeout=2.0), support], 9.0) == []

    assert router.drain_log() == []
    assert {a: router.agent(a) for a in before} == before
    assert router.agent("2007").state is AgentState.RINGING
    assert router.tick(15.0) == []  # the ring timeout it was offered with (15 s + grace) holds
    router.agent_answered("c1", 16.0)
    record = router.drain_log()[-1]
    assert (record.event, record.agent, record.data[0]) == (QueueEvent.CONNECT, "2007", "11.000")
    assert router.configs["suporte"].wrap_up_seconds == 30.0


def test_idle_order_and_waiting_places_survive_a_change() -> None:
    """The longest-idle agent is still first after a change (not the first logged in);
    waiting callers keep their order and join time; statistics go on."""
    router = Router([SALES])
    router.login("a", {"sales": 1}, 0.0)
    router.login("b", {"sales": 1}, 1.0)
    assert offers(router.call_arrived("c1", "vendas", 2.0)) == [("c1", "a")]
    router.agent_answered("c1", 3.0)
    router.call_ended("c1", 4.0)  # a idle since 4, b since 1
    router.reconfigure([changed(SALES, weight=3)], 10.0)
    assert (router.agent("a").since, router.agent("b").since) == (4.0, 1.0)
    assert offers(router.call_arrived("c2", "vendas", 11.0)) == [("c2", "b")]
    router.pause("a", "lunch", 12.0)
    router.call_arrived("c3", "vendas", 13.0)
    router.call_arrived("c4", "vendas", 14.0, priority=5)
    router.call_arrived("c5", "vendas", 15.0)
    router.reconfigure([changed(SALES, strategy="fewest_calls")], 20.0)
    assert router.waiting_calls("vendas") == ["c4", "c3", "c5"]
    assert router.position("c5") == 3
    stats = router.stats(20.0).queues["vendas"]
    assert (stats.offered, stats.answered, stats.waiting) == (5, 1, 4)


def test_new_settings_apply_to_waiting_callers_at_once() -> None:
    """A wider skill set lets a free agent take a waiting caller; a step already due applies;
    a max wait already passed ends the wait (Timeout), from the caller's own join time."""
    router = Router([SALES, SUPPORT])
    router.login("s", {"support": 3}, 0.0)
    router.call_arrived("c1", "vendas", 0.0)
    router.call_arrived("c2", "vendas", 50.0)
    widened = SALES.model_copy(
        update={"escalation": (EscalationStep(after=30, add_queue_agents=("suporte",)),)}
    )
    decisions = router.reconfigure([widened, SUPPORT], 60.0)
    assert offers(decisions) == [("c1", "s")]  # c1 waited 60 s; c2 only 10 s
    shorter = changed(widened, max_wait=5.0)
    decisions = router.reconfigure([shorter, SUPPORT], 61.0)
    assert [type(d) for d in decisions] == [Timeout] and decisions[0].call_id == "c2"
    assert [r.event for r in router.drain_log()][-1] is QueueEvent.EXITWITHTIMEOUT


def test_a_queue_with_calls_cannot_be_removed() -> None:
    """Removing a queue that still has a caller is queue_in_use and changes nothing; an empty
    queue can be removed."""
    router = Router([SALES, SUPPORT])
    router.call_arrived("c1", "suporte", 0.0)
    with pytest.raises(QueueInUse):
        router.reconfigure([SALES], 1.0)
    assert set(router.configs) == {"vendas", "suporte"}
    assert router.waiting_calls("suporte") == ["c1"]
    router.reconfigure([SUPPORT], 2.0)
    assert set(router.configs) == {"suporte"}
    decisions = router.login("a", {"support": 1}, 3.0)
    assert [(d.call_id, d.queue) for d in decisions if isinstance(d, Offer)] == [("c1", "suporte")]

"""The router's books of a transferred call: TRANSFER, wrap-up, routing again, refusals."""

from __future__ import annotations

import pytest

from acd.domain import AgentState, QueueConfig, QueueEvent, Router, stats_from_log
from acd.domain.errors import AgentBusy, AgentNotFound, QueueNotFound

from .helpers import offers


def _router() -> Router:
    """vendas (sales, 30 s wrap-up) and suporte (support); agents a1 (sales), a2 (support)."""
    router = Router(
        [
            QueueConfig(name="vendas", skills={"sales": 1}, wrap_up_seconds=30),
            QueueConfig(name="suporte", skills={"support": 1}),
        ]
    )
    router.login("a1", {"sales": 3}, 0)
    router.login("a2", {"support": 3}, 0)
    return router


def _connected(router: Router) -> None:
    assert offers(router.call_arrived("c1", "vendas", 10, priority=5)) == [("c1", "a1")]
    router.agent_ringing("c1", 11)
    router.agent_answered("c1", 12)


def test_blind_transfer_to_a_queue_is_a_new_entry_routed_again() -> None:
    """TRANSFER for the agent (wrap-up), ENTERQUEUE in the target queue with the wait starting
    at the transfer and the priority kept, and the target queue's agent is offered the call;
    the statistics count the first talk as completed."""
    router = _router()
    _connected(router)
    router.drain_log()
    decisions = router.call_transferred("c1", 40, "queue", "suporte")
    assert offers(decisions) == [("c1", "a2")]
    log = router.drain_log()
    assert [(r.event, r.queue, r.agent) for r in log] == [
        (QueueEvent.TRANSFER, "vendas", "a1"),
        (QueueEvent.ENTERQUEUE, "suporte", "NONE"),
    ]
    assert log[0].data == ("suporte", "queue", "2.000", "28.000", "1")
    assert log[1].data[0] == "5" and float(log[1].data[2]) == 40
    assert router.agent("a1").state is AgentState.WRAP_UP
    router.agent_answered("c1", 45)
    whole = [*log, *router.drain_log()]
    stats = stats_from_log(whole, router.configs, 50)
    assert stats.queues["vendas"].completed == 1 and stats.queues["vendas"].talk_time == 28
    assert stats.queues["suporte"].answered == 1


def test_transfer_to_an_agent_offers_him_the_call_directly() -> None:
    """An available agent of any skill is offered the call in the call's queue."""
    router = _router()
    _connected(router)
    router.drain_log()
    assert offers(router.call_transferred("c1", 40, "agent", "a2")) == [("c1", "a2")]
    assert [r.event for r in router.drain_log()] == [QueueEvent.TRANSFER, QueueEvent.ENTERQUEUE]
    assert router.agent("a2").state is AgentState.RESERVED


def test_transfer_to_a_number_leaves_the_acd() -> None:
    """The call is forgotten after TRANSFER: nothing more is offered."""
    router = _router()
    _connected(router)
    assert offers(router.call_transferred("c1", 40, "number", "5511988880001")) == []
    assert "c1" not in router.calls


def test_refused_targets_change_nothing() -> None:
    """Unknown queue, agent not logged in, busy agent: refused, the call stays connected."""
    router = _router()
    _connected(router)
    router.pause("a2", "lunch", 20)
    router.drain_log()
    with pytest.raises(QueueNotFound):
        router.call_transferred("c1", 40, "queue", "nope")
    with pytest.raises(AgentNotFound):
        router.call_transferred("c1", 40, "agent", "a9")
    with pytest.raises(AgentBusy):
        router.call_transferred("c1", 40, "agent", "a2")
    assert router.drain_log() == []
    assert router.agent("a1").state is AgentState.ON_CALL

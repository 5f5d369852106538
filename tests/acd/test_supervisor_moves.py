"""Supervisor moves on the router (caller to another queue, to the front; agent's skills) and
the statistics kept record by record, as random sequences among all other events."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule

from acd.domain import (
    AgentNotLoggedIn,
    CallStateConflict,
    LogStats,
    QueueConfig,
    QueueEvent,
    QueueRefused,
    Router,
    stats_from_log,
)

from .test_router_properties import CONFIGS, RouterMachine, skill_sets


class SupervisorMachine(RouterMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folded = LogStats(CONFIGS)
        self.fed = 0

    @precondition(lambda self: any(c.state == "waiting" for c in self.calls.values()))
    @rule(index=st.integers(0, 10), queue=st.sampled_from(sorted(CONFIGS)))
    def move(self, index: int, queue: str) -> None:
        """A waiting caller moved keeps his join time; a refusing queue changes nothing."""
        call_id = self.pick(self.ids("call", "waiting"), index)
        call = self.calls[call_id]
        before = {name: self.router.waiting_calls(name) for name in self.configs}
        if queue == call.queue:
            with pytest.raises(CallStateConflict):
                self.router.move_call(call_id, queue, self.now)
            return
        try:
            decisions = self.router.move_call(call_id, queue, self.now)
        except QueueRefused:
            assert {name: self.router.waiting_calls(name) for name in self.configs} == before
            return
        records = self.router.drain_log()
        assert [r.event for r in records[:2]] == [QueueEvent.EXITWITHKEY, QueueEvent.ENTERQUEUE]
        assert records[1].data[2] == repr(call.entered), "the caller lost his place in time"
        self.log += records
        self.counter += 1
        call.queue, call.order = queue, self.counter
        self.apply(decisions)

    @precondition(lambda self: any(c.state == "waiting" for c in self.calls.values()))
    @rule(index=st.integers(0, 10))
    def front(self, index: int) -> None:
        """Moved to the front, a caller is the next of his queue and keeps his join time."""
        call_id = self.pick(self.ids("call", "waiting"), index)
        call = self.calls[call_id]
        call.priority = self.router.move_to_front(call_id, self.now)
        assert self.router.waiting_calls(call.queue)[0] == call_id
        assert self.router.position(call_id) == 1

    @rule(index=st.integers(0, 10), skills=skill_sets)
    def skills(self, index: int, skills: dict[str, int]) -> None:
        """New skills apply at once; a logged-out agent is refused."""
        agent_id = self.pick(sorted(self.agents), index)
        agent = self.agents[agent_id]
        if agent.status == "out":
            with pytest.raises(AgentNotLoggedIn):
                self.router.change_skills(agent_id, skills, self.now)
            return
        state, status = self.router.agent(agent_id).state, agent.status
        agent.skills = skills
        self.apply(self.router.change_skills(agent_id, skills, self.now))
        assert self.router.agent(agent_id).skills == skills
        if status != "available":
            assert self.router.agent(agent_id).state is state

    @invariant()
    def statistics_kept_record_by_record_equal_the_rebuilt_and_live_ones(self) -> None:
        self.log += self.router.drain_log()
        for record in self.log[self.fed :]:
            self.folded.add(record)
        self.fed = len(self.log)
        kept = self.folded.snapshot(self.now)
        assert kept == stats_from_log(self.log, self.configs, self.now)
        assert kept == self.router.stats(self.now)


SupervisorMachine.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestSupervisorMoves = SupervisorMachine.TestCase
TestSupervisorMoves.__doc__ = (
    "Moves, front and skill changes keep every routing invariant; statistics kept record by "
    "record equal those rebuilt from the whole log and the router's own."
)


def test_moved_caller_is_answered_with_his_whole_wait() -> None:
    """A caller moved after 30 s to a queue with a free agent is answered at once; his hold
    time (and the new queue's ASA) counts from his first join."""
    router = Router([QueueConfig(name="a", skills={"x": 1}), QueueConfig(name="b")])
    router.call_arrived("c1", "a", 0.0)
    router.login("ag", {}, 10.0)
    decisions = router.move_call("c1", "b", 30.0)
    assert [(d.call_id, d.agent_id) for d in decisions] == [("c1", "ag")]  # type: ignore[attr-defined]
    router.agent_answered("c1", 32.0)
    stats = router.stats(40.0).queues
    assert stats["b"].asa == 32.0
    assert stats["a"].overflowed == 1 and stats["a"].offered == 1

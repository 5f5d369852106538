"""Supervisor moves on the router (caller to another queue, to the front; agent's skills) and
the statistics kept record by record, as random sequences among all other events."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

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
    QueueLogRecord,
    QueueRefused,
    Router,
    stats_from_log,
)
from acd.reports import Interval, interval_bounds, interval_report

from .test_router_properties import CONFIGS, RouterMachine, skill_sets

SITE = ZoneInfo("America/Sao_Paulo")


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
        """Moved to the front, a caller is the next of his queue and keeps his join time; a
        change of his priority is one PRIORITY record (his place before, old and new
        priority)."""
        call_id = self.pick(self.ids("call", "waiting"), index)
        call = self.calls[call_id]
        place, before = self.router.position(call_id), call.priority
        self.log += self.router.drain_log()
        call.priority = self.router.move_to_front(call_id, self.now)
        assert self.router.waiting_calls(call.queue)[0] == call_id
        assert self.router.position(call_id) == 1
        records = self.router.drain_log()
        if call.priority == before:
            assert records == [], "a caller left as he was was logged as moved"
        else:
            assert [(r.event, r.data[:2], r.data[4:]) for r in records] == [
                (QueueEvent.PRIORITY, ("front", str(place)), (str(before), str(call.priority)))
            ]
        self.log += records

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


def test_moved_to_front_is_in_the_queue_log_and_leaves_the_figures_alone() -> None:
    """The third of three callers moved to the front after 40 s: one PRIORITY record says it
    (key ``front``, he was 3rd, joined 3rd, waited 40 s, priority 0 -> 1, who did it is in the
    audit log); it reads back from its line; the statistics and the interval report are those
    of the same log without it (no caller offered, answered or left twice). Asked again,
    nothing more is logged."""
    router = Router([QueueConfig(name="a", service_level_seconds=30)])
    start = 1_773_200_000.0  # 2026-03-11 00:53 in Sao Paulo
    for i, call in enumerate(("c1", "c2", "c3")):
        router.call_arrived(call, "a", start + i * 10)
    router.move_to_front("c3", start + 60)
    router.move_to_front("c3", start + 61)
    router.login("ag", {}, start + 70)
    router.agent_answered("c3", start + 72)
    router.call_ended("c3", start + 100)
    log = router.drain_log()
    [moved] = [r for r in log if r.event is QueueEvent.PRIORITY]
    assert (moved.time, moved.call_id, moved.queue, moved.agent) == (start + 60, "c3", "a", "NONE")
    assert moved.data == ("front", "3", "3", "40.000", "0", "1")
    assert QueueLogRecord.from_line(moved.to_line()) == moved
    without = [r for r in log if r is not moved]
    configs = {"a": router.queues["a"].config}
    now = start + 200
    assert stats_from_log(log, configs, now) == stats_from_log(without, configs, now)
    assert stats_from_log(log, configs, now).queues["a"].asa == 52.0  # c3 waited 52 s
    day = datetime.fromtimestamp(start, SITE).date()
    bounds = interval_bounds(day, day, SITE, Interval.MIN15)
    report = interval_report(log, configs, bounds, now)
    assert report == interval_report(without, configs, bounds, now)
    [row] = [r for r in report.queues if r.offered]
    assert (row.offered, row.answered, row.answered_in_target) == (3, 1, 0)

"""Stateful property tests of the router against a model built from its decisions."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from acd.domain import (
    AgentState,
    CancelOffer,
    Decision,
    EscalationStep,
    ExitEmpty,
    IllegalTransition,
    Offer,
    OfferCallback,
    Overflow,
    QueueConfig,
    QueueEvent,
    QueueLogRecord,
    Rejected,
    Router,
    Strategy,
    Timeout,
    WhenNoAgents,
    stats_from_log,
)

from .oracle import accepted, qualifies

QUEUES = [
    QueueConfig(
        name="q1",
        skills={"a": 3},
        escalation=(
            EscalationStep(after=10, relax={"a": 1}),
            EscalationStep(after=20, add_queue_agents=("q2",)),
            EscalationStep(after=30, overflow_to="q3"),
        ),
    ),
    QueueConfig(
        name="q2",
        skills={"b": 2},
        strategy=Strategy.FEWEST_CALLS,
        wrap_up_seconds=3,
        max_wait=50,
        when_no_agents=WhenNoAgents.LEAVE,
        escalation=(EscalationStep(after=15, add_skills=({"c": 1},)),),
    ),
    QueueConfig(
        name="q3",
        skills={"c": 4},
        strategy=Strategy.ROUND_ROBIN,
        weight=1,
        max_length=4,
        max_wait=40,
        when_no_agents=WhenNoAgents.REFUSE,
        escalation=(EscalationStep(after=5, callback=True),),
    ),
    QueueConfig(
        name="q4",
        skills={"a": 2, "b": 2},
        strategy=Strategy.BEST_SKILL,
        wrap_up_seconds=2,
        escalation=(EscalationStep(after=8, relax={"b": 1}),),
    ),
    QueueConfig(name="q5", strategy=Strategy.LEAST_TALK_TIME),
]
CONFIGS = {q.name: q for q in QUEUES}
# other settings for the same queues: skills, strategies, limits and escalation (the same
# service-level, short-abandon and wrap-up times, which the statistics rebuilt from the log
# read from the current settings)
VARIANTS = [
    QUEUES,
    [
        QueueConfig(name="q1", skills={"a": 2}, max_wait=25),
        QueueConfig(name="q2", skills={"b": 3}, wrap_up_seconds=3),
        QueueConfig(
            name="q3",
            skills={"c": 2},
            strategy=Strategy.LONGEST_IDLE,
            escalation=(EscalationStep(after=4, add_skills=({"a": 1},)),),
        ),
        QueueConfig(
            name="q4", skills={"b": 1}, strategy=Strategy.ROUND_ROBIN, weight=2, wrap_up_seconds=2
        ),
        QueueConfig(name="q5", when_no_agents=WhenNoAgents.LEAVE),
    ],
    [
        QueueConfig(
            name="q1",
            skills={"a": 4},
            escalation=(EscalationStep(after=6, overflow_to="q2"),),
        ),
        QueueConfig(
            name="q2",
            skills={"b": 2},
            max_length=2,
            wrap_up_seconds=3,
            when_no_agents=WhenNoAgents.REFUSE,
            escalation=(EscalationStep(after=3, callback=True),),
        ),
        QueueConfig(name="q3", strategy=Strategy.BEST_SKILL, skills={"c": 1, "a": 1}),
        QueueConfig(name="q4", skills={"a": 2, "b": 2}, max_wait=12, wrap_up_seconds=2),
        QueueConfig(name="q5", skills={"c": 5}, strategy=Strategy.FEWEST_CALLS),
    ],
]
CHANGE_EVENTS = {
    QueueEvent.ENTERQUEUE,  # overflowed into another queue
    QueueEvent.EXITWITHTIMEOUT,
    QueueEvent.EXITEMPTY,
    QueueEvent.FULL,
    QueueEvent.JOINEMPTY,
}
AGENT_IDS = [f"agent{i}" for i in range(6)]
skill_sets = st.dictionaries(st.sampled_from("abc"), st.integers(1, 5), max_size=3)


@dataclass
class ModelCall:
    queue: str
    priority: int
    entered: float
    order: int
    state: str = "waiting"  # waiting | offered | connected
    agent: str | None = None
    callback: bool = False


@dataclass
class ModelAgent:
    skills: dict[str, int]
    status: str = "available"  # available | busy | wrap | paused | out
    call: str | None = None
    wrap_until: float = 0.0


class RouterMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.router = Router(QUEUES)
        self.configs = CONFIGS
        self.now = 0.0
        self.agents: dict[str, ModelAgent] = {}
        self.calls: dict[str, ModelCall] = {}
        self.log: list[QueueLogRecord] = []
        self.counter = 0

    # ------------------------------------------------------------ helpers
    def ids(self, kind: str, status: str) -> list[str]:
        pool = self.agents if kind == "agent" else self.calls
        return sorted(k for k, v in pool.items() if getattr(v, kind_attr(kind)) == status)

    def apply(self, decisions: list[Decision]) -> None:
        self.log += self.router.drain_log()
        for d in decisions:
            if isinstance(d, Offer):
                self.check_offer(d)
            elif isinstance(d, CancelOffer):
                self.back_to_waiting(d.call_id, d.agent_id)
            elif isinstance(d, Overflow):
                call = self.calls[d.call_id]
                assert call.state == "waiting" and call.queue == d.from_queue
                self.counter += 1
                call.queue, call.entered, call.order = d.to_queue, self.now, self.counter
            elif isinstance(d, Timeout | ExitEmpty | Rejected):
                call = self.calls.pop(d.call_id)
                assert call.state == "waiting"
            elif isinstance(d, OfferCallback):
                assert self.calls[d.call_id].queue == d.queue

    def check_offer(self, offer: Offer) -> None:
        call = self.calls[offer.call_id]
        agent = self.agents[offer.agent_id]
        assert call.state == "waiting", "a call is offered twice"
        assert agent.status == "available" and agent.call is None, "agent already has a call"
        assert call.queue == offer.queue
        config = self.configs[call.queue]
        assert qualifies(agent.skills, accepted(config, self.configs, call.entered, self.now)), (
            "agent lacks the skill level the call requires now"
        )
        for other_id, other in self.calls.items():
            if (
                other.state == "waiting"
                and other_id != offer.call_id
                and other.queue == call.queue
                and other.priority == call.priority
                and (other.entered, other.order) < (call.entered, call.order)
            ):
                sets = accepted(config, self.configs, other.entered, self.now)
                assert not qualifies(agent.skills, sets), "an earlier caller was skipped"
        call.state, call.agent = "offered", offer.agent_id
        agent.status, agent.call = "busy", offer.call_id

    def back_to_waiting(self, call_id: str, agent_id: str) -> None:
        call = self.calls[call_id]
        assert call.state == "offered" and call.agent == agent_id
        call.state, call.agent = "waiting", None
        agent = self.agents[agent_id]
        agent.status, agent.call = "paused", None

    def pick(self, items: list[str], index: int) -> str:
        return items[index % len(items)]

    # ----------------------------------------------------------- agent rules
    @initialize(team=st.lists(skill_sets, min_size=2, max_size=4))
    def team(self, team: list[dict[str, int]]) -> None:
        for agent_id, skills in zip(AGENT_IDS, team, strict=False):
            self.agents[agent_id] = ModelAgent(skills)
            self.apply(self.router.login(agent_id, skills, self.now))

    @rule(agent_id=st.sampled_from(AGENT_IDS), skills=skill_sets)
    def login(self, agent_id: str, skills: dict[str, int]) -> None:
        current = self.agents.get(agent_id)
        if current is not None and current.status != "out":
            with pytest.raises(IllegalTransition):
                self.router.login(agent_id, skills, self.now)
            return
        self.agents[agent_id] = ModelAgent(skills)
        self.apply(self.router.login(agent_id, skills, self.now))

    @rule(agent_id=st.sampled_from(AGENT_IDS))
    def logout(self, agent_id: str) -> None:
        agent = self.agents.get(agent_id)
        if agent is None:
            return
        if agent.status not in ("available", "paused"):
            with pytest.raises(IllegalTransition):
                self.router.logout(agent_id, self.now)
            return
        agent.status = "out"
        self.apply(self.router.logout(agent_id, self.now))

    @rule(agent_id=st.sampled_from(AGENT_IDS), reason=st.sampled_from(["lunch", "training"]))
    def pause(self, agent_id: str, reason: str) -> None:
        agent = self.agents.get(agent_id)
        if agent is None:
            return
        if agent.status not in ("available", "wrap", "paused"):
            with pytest.raises(IllegalTransition):
                self.router.pause(agent_id, reason, self.now)
            return
        agent.status = "paused"
        self.apply(self.router.pause(agent_id, reason, self.now))
        assert self.router.agent(agent_id).pause_reason == reason

    @rule(agent_id=st.sampled_from(AGENT_IDS))
    def unpause(self, agent_id: str) -> None:
        agent = self.agents.get(agent_id)
        if agent is None:
            return
        if agent.status != "paused":
            with pytest.raises(IllegalTransition):
                self.router.unpause(agent_id, self.now)
            return
        agent.status = "available"
        self.apply(self.router.unpause(agent_id, self.now))

    @precondition(lambda self: any(a.status == "wrap" for a in self.agents.values()))
    @rule(index=st.integers(0, 10))
    def wrap_done(self, index: int) -> None:
        agent_id = self.pick(self.ids("agent", "wrap"), index)
        self.agents[agent_id].status = "available"
        self.apply(self.router.wrap_up_done(agent_id, self.now))

    # ------------------------------------------------------------ call rules
    @rule(queue=st.sampled_from(sorted(CONFIGS)), priority=st.integers(0, 2))
    def arrive(self, queue: str, priority: int) -> None:
        self.counter += 1
        call_id = f"call{self.counter}"
        self.calls[call_id] = ModelCall(queue, priority, self.now, self.counter)
        self.apply(self.router.call_arrived(call_id, queue, self.now, priority))

    @precondition(lambda self: any(c.state == "offered" for c in self.calls.values()))
    @rule(index=st.integers(0, 10))
    def answer(self, index: int) -> None:
        call_id = self.pick(self.ids("call", "offered"), index)
        self.calls[call_id].state = "connected"
        self.apply(self.router.agent_answered(call_id, self.now))
        agent_id = self.calls[call_id].agent or ""
        assert self.router.agent(agent_id).state is AgentState.ON_CALL

    @rule(
        queue=st.sampled_from(sorted(CONFIGS)),
        priority=st.integers(0, 2),
        waited=st.sampled_from([2.0, 9.0, 16.0, 35.0, 60.0]),
    )
    def restore(self, queue: str, priority: int, waited: float) -> None:
        """A caller found waiting after a restart comes back with his original join time."""
        self.counter += 1
        call_id = f"call{self.counter}"
        entered = max(0.0, self.now - waited)
        self.calls[call_id] = ModelCall(queue, priority, entered, self.counter)
        self.apply(self.router.call_arrived(call_id, queue, self.now, priority, entered))

    @precondition(lambda self: any(c.state == "offered" for c in self.calls.values()))
    @rule(index=st.integers(0, 10))
    def ringing(self, index: int) -> None:
        call_id = self.pick(self.ids("call", "offered"), index)
        agent_id = self.calls[call_id].agent or ""
        if self.router.agent(agent_id).state is AgentState.RESERVED:
            self.apply(self.router.agent_ringing(call_id, self.now))
            assert self.router.agent(agent_id).state is AgentState.RINGING

    @precondition(lambda self: any(c.state == "offered" for c in self.calls.values()))
    @rule(index=st.integers(0, 10))
    def no_answer(self, index: int) -> None:
        call_id = self.pick(self.ids("call", "offered"), index)
        agent_id = self.calls[call_id].agent or ""
        self.back_to_waiting(call_id, agent_id)
        self.apply(self.router.agent_no_answer(call_id, self.now))
        assert self.router.agent(agent_id).pause_reason == "no answer"

    @precondition(lambda self: any(c.state == "offered" for c in self.calls.values()))
    @rule(index=st.integers(0, 10))
    def withdraw(self, index: int) -> None:
        call_id = self.pick(self.ids("call", "offered"), index)
        call = self.calls[call_id]
        agent_id = call.agent or ""
        call.state, call.agent = "waiting", None
        self.agents[agent_id].status, self.agents[agent_id].call = "available", None
        before = len(self.log)
        self.apply(self.router.offer_withdrawn(call_id, self.now))
        # taken back with no penalty: no ring-no-answer, the agent not paused
        assert all(r.event is not QueueEvent.RINGNOANSWER for r in self.log[before:])
        assert self.router.agent(agent_id).state is not AgentState.PAUSED

    @precondition(lambda self: bool(self.calls))
    @rule(index=st.integers(0, 10))
    def hand_over(self, index: int) -> None:
        call_id = self.pick(sorted(self.calls), index)
        call = self.calls.pop(call_id)
        if call.agent:
            self.agents[call.agent].status, self.agents[call.agent].call = "paused", None
        before = len(self.log)
        self.apply(self.router.call_handed_over(call_id, self.now, "busy elsewhere"))
        # one HANDOVER: the engine that took it logs the rest
        mine = [r.event for r in self.log[before:] if r.call_id == call_id]
        assert mine == [QueueEvent.HANDOVER]
        assert call_id not in self.router.calls
        if call.agent:
            assert self.router.agent(call.agent).pause_reason == "busy elsewhere"

    @precondition(lambda self: any(c.state != "connected" for c in self.calls.values()))
    @rule(index=st.integers(0, 10))
    def abandon(self, index: int) -> None:
        ids = sorted(k for k, c in self.calls.items() if c.state != "connected")
        call = self.calls.pop(self.pick(ids, index))
        if call.agent:
            self.agents[call.agent].status = "available"
            self.agents[call.agent].call = None
        self.apply(self.router.call_abandoned(self.pick(ids, index), self.now))

    @precondition(lambda self: any(c.state == "connected" for c in self.calls.values()))
    @rule(index=st.integers(0, 10), by_agent=st.booleans())
    def end(self, index: int, by_agent: bool) -> None:
        call_id = self.pick(self.ids("call", "connected"), index)
        call = self.calls.pop(call_id)
        agent = self.agents[call.agent or ""]
        agent.call = None
        wrap = self.configs[call.queue].wrap_up_seconds
        agent.status = "wrap" if wrap else "available"
        agent.wrap_until = self.now + wrap
        self.apply(self.router.call_ended(call_id, self.now, by_agent))

    @precondition(lambda self: any(c.state == "waiting" for c in self.calls.values()))
    @rule(index=st.integers(0, 10))
    def callback(self, index: int) -> None:
        call_id = self.pick(self.ids("call", "waiting"), index)
        self.calls[call_id].callback = True
        self.apply(self.router.callback_accepted(call_id, self.now))

    @rule(dt=st.sampled_from([0.5, 1.0, 3.0, 7.0, 12.0, 25.0]))
    def advance(self, dt: float) -> None:
        self.now += dt
        for agent in self.agents.values():
            if agent.status == "wrap" and agent.wrap_until <= self.now:
                agent.status = "available"
        self.apply(self.router.tick(self.now))

    # ------------------------------------------------------- configuration
    @rule(variant=st.integers(0, len(VARIANTS) - 1))
    def reconfigure(self, variant: int) -> None:
        """A queue change touches no agent, no ringing or connected call, no caller's place."""
        before = {a: self.router.agent(a) for a in self.agents}
        offered = {k: c.agent for k, c in self.calls.items() if c.state != "waiting"}
        self.log += self.router.drain_log()
        self.configs = {q.name: q for q in VARIANTS[variant]}
        decisions = self.router.reconfigure(VARIANTS[variant], self.now)
        records = self.router.drain_log()
        assert {r.event for r in records} <= CHANGE_EVENTS, "agents or rings were rewritten"
        self.log += records
        self.apply(decisions)
        newly = {d.agent_id for d in decisions if isinstance(d, Offer)}
        for agent_id, view in before.items():
            if agent_id not in newly:
                assert self.router.agent(agent_id) == view, "an agent's state or clock moved"
        for call_id, agent_id in offered.items():
            assert self.calls[call_id].agent == agent_id
            assert self.router.agent(agent_id or "").call_id == call_id

    # ------------------------------------------------------------ invariants
    @invariant()
    def no_free_agent_left_idle_beside_a_matching_call(self) -> None:
        """Quiescence: no waiting call has a free agent allowed to take it right now."""
        free = [a for a in self.agents.values() if a.status == "available"]
        for call in self.calls.values():
            if call.state != "waiting":
                continue
            sets = accepted(self.configs[call.queue], self.configs, call.entered, self.now)
            assert not any(qualifies(a.skills, sets) for a in free)

    @invariant()
    def one_call_per_agent(self) -> None:
        holders = [c.agent for c in self.calls.values() if c.agent]
        assert len(holders) == len(set(holders))
        for agent_id, agent in self.agents.items():
            assert self.router.agent(agent_id).call_id == agent.call

    @invariant()
    def priority_then_first_come_first_served(self) -> None:
        for name in self.configs:
            waiting = [(k, c) for k, c in self.calls.items() if c.queue == name]
            expected = sorted(
                (k for k, c in waiting if c.state == "waiting"),
                key=lambda k: (-self.calls[k].priority, self.calls[k].entered, self.calls[k].order),
            )
            assert self.router.waiting_calls(name) == expected
            for position, call_id in enumerate(expected, start=1):
                assert self.router.position(call_id) == position

    @invariant()
    def nobody_waits_past_the_last_step(self) -> None:
        for call in self.calls.values():
            config = self.configs[call.queue]
            if call.state != "waiting":
                continue
            final = config.escalation[-1] if config.escalation else None
            if final is not None and final.overflow_to:
                assert self.now < call.entered + final.after
            if config.max_wait is not None and not call.callback:
                assert self.now < call.entered + config.max_wait

    @invariant()
    def stats_rebuilt_from_the_log_equal_live_stats(self) -> None:
        self.log += self.router.drain_log()
        assert stats_from_log(self.log, self.configs, self.now) == self.router.stats(self.now)
        assert all(r.event in QueueEvent for r in self.log)


def kind_attr(kind: str) -> str:
    return "status" if kind == "agent" else "state"


RouterMachine.TestCase.settings = settings(
    max_examples=300,
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestRouterProperties = RouterMachine.TestCase
TestRouterProperties.__doc__ = (
    "Random sequences of agent and call events keep every routing invariant and the stats."
)


def test_withdrawn_offer_whose_step_overflows_keeps_fair_order() -> None:
    """Found by the state machine: an offer withdrawn after its call's final step came due
    (the call overflows as it goes back in line) gives the freed agent the best call in fair
    order, never a second call while reserved."""
    state = RouterMachine()
    state.team(team=[{}, {"a": 3, "b": 2}])
    state.arrive(priority=0, queue="q1")
    state.advance(dt=0.5)
    state.reconfigure(variant=2)
    state.restore(priority=0, queue="q1", waited=2.0)
    for _ in range(5):
        state.advance(dt=0.5)
    state.advance(dt=3.0)
    state.withdraw(index=0)
    state.no_free_agent_left_idle_beside_a_matching_call()
    state.one_call_per_agent()
    state.priority_then_first_come_first_served()
    state.stats_rebuilt_from_the_log_equal_live_stats()
    state.teardown()

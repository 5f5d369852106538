"""The ACD router: events in, decisions out. Pure: no I/O, ``now`` is always an argument.

Invariant kept after every call: no waiting call has a free agent who may take it at that moment
(escalation included). Events that free an agent let him pick the best call among the heads of the
queues he serves; events that add a waiting call (arrival, ring-no-answer, escalation step) let it
pick the best free agent per its queue's strategy.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from acd.domain.agents import NO_ANSWER, Agent, AgentNotLoggedIn, AgentState, IllegalTransition
from acd.domain.calls import Call, CallState
from acd.domain.decisions import (
    CancelOffer,
    Decision,
    ExitEmpty,
    Offer,
    OfferCallback,
    Overflow,
    Rejected,
    Timeout,
)
from acd.domain.errors import (
    AgentBusy,
    AgentNotFound,
    CallNotFound,
    CallStateConflict,
    DispositionRequired,
    InvalidValue,
    NoCall,
    QueueInUse,
    QueueNotFound,
    QueueRefused,
)
from acd.domain.escalation import EscalationPlan
from acd.domain.index import QueueRuntime, RoutingIndex
from acd.domain.queue_log import (
    FRONT,
    MOVED,
    NONE,
    TIMEOUT_MAX_WAIT,
    TIMEOUT_OVERFLOW,
    QueueEvent,
    QueueLogRecord,
    secs,
)
from acd.domain.queues import QueueConfig, WhenNoAgents, check_queues
from acd.domain.skills import SkillProfile
from acd.domain.stats import (
    StatsSnapshot,
    add_pause,
    make_agent_stats,
    make_queue_stats,
)

RING_GRACE = 5.0  # an offer unanswered this long after its ring timeout is taken back

A = AgentState
_RINGING = frozenset({A.RESERVED, A.RINGING})


@dataclass(frozen=True, slots=True)
class AgentView:
    agent_id: str
    state: AgentState
    since: float
    call_id: str | None
    pause_reason: str | None
    last_pause_reason: str | None
    skills: dict[str, int]
    wrap_until: float | None = None  # the end of his wrap-up's timer (in wrap-up only)
    wrap_held: bool = False  # in wrap-up until the call gets its disposition
    pause_after: str | None = None  # pause reason asked for once the call is over
    wrap_call: str | None = None  # the call his wrap-up is for (in wrap-up only)


def _finite(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidValue(f"time must be a finite number of seconds, got {value!r}")
    return float(value)


def _check_reason(reason: object) -> None:
    if not isinstance(reason, str) or not reason.strip() or "|" in reason:
        raise InvalidValue(f"pause reason must be a non-empty text without '|', got {reason!r}")


def _check_id(kind: str, value: object) -> None:
    if not isinstance(value, str) or not value or "|" in value or value == NONE:
        raise InvalidValue(f"{kind} id must be a non-empty text without '|', got {value!r}")


class Router:
    """Skills-based routing over all queues of one engine."""

    def __init__(self, queues: Iterable[QueueConfig]) -> None:
        configs = check_queues(queues)
        self.queues: dict[str, QueueRuntime] = {}
        for name, config in configs.items():
            plan = EscalationPlan(config, configs)
            self.queues[name] = QueueRuntime(config, plan)
        self.agents: dict[str, Agent] = {}
        self.calls: dict[str, Call] = {}
        self._index = RoutingIndex(self.queues)
        self._call_timers: list[tuple[float, int, int, Call]] = []
        self._wrap_timers: list[tuple[float, int, int, Agent]] = []
        self._seq = itertools.count()
        self._clock = float("-inf")
        self._log: list[QueueLogRecord] = []

    # ---------------------------------------------------------------- agents
    def login(
        self,
        agent_id: str,
        skills: Mapping[str, int],
        now: float,
        paused_reason: str | None = None,
    ) -> list[Decision]:
        """Agent logs in with ``skills`` (``{name: level 1-5}``), available or paused.

        ``paused_reason`` logs him in paused (e.g. restoring agents after a restart).
        """
        _check_id("agent", agent_id)
        if paused_reason is not None:
            _check_reason(paused_reason)
        profile = SkillProfile(skills)
        agent = self.agents.get(agent_id)
        if agent is not None and agent.state is not A.LOGGED_OUT:
            raise IllegalTransition(agent_id, agent.state, A.AVAILABLE, "log in")
        now = self._time(now)
        pid = self._index.intern(profile)
        if agent is None:
            agent = Agent(agent_id, profile, pid, seq=len(self.agents))
            self.agents[agent_id] = agent
        agent.profile, agent.profile_id = profile, pid
        agent.move(A.AVAILABLE, now, "log in")
        agent.login_at = agent.idle_since = now
        agent.totals.login_at = now
        self._record(now, NONE, NONE, agent_id, QueueEvent.ADDMEMBER, profile.describe())
        if paused_reason is not None:
            agent.move(A.PAUSED, now, "pause")
            self._start_pause(agent, paused_reason, now)
            return []
        self._index.staff(agent, +1)
        self._index.free(agent)
        return self._offer_to_agent(agent, now)

    def logout(self, agent_id: str, now: float) -> list[Decision]:
        """Agent logs out (from available or paused)."""
        agent = self._agent(agent_id)
        was_paused = agent.state is A.PAUSED
        now = self._time(now)
        agent.move(A.LOGGED_OUT, now, "log out")
        if not was_paused:
            self._index.unfree(agent)
            self._index.staff(agent, -1)
        t = agent.totals
        add_pause(t, now)
        agent.pause_reason = None
        if t.login_at is not None:
            t.logged_in_time += now - t.login_at
        t.login_at = None
        self._record(now, NONE, NONE, agent_id, QueueEvent.REMOVEMEMBER)
        return self._leave_if_empty(agent, now)

    def pause(self, agent_id: str, reason: str, now: float) -> list[Decision]:
        """Pause with a reason code (from available, wrap-up, or paused to change the reason)."""
        _check_reason(reason)
        agent = self._agent(agent_id)
        before = agent.state
        now = self._time(now)
        if before is A.WRAP_UP and agent.wrap_held:
            raise DispositionRequired(f"agent {agent_id!r}: the call needs its disposition first")
        agent.move(A.PAUSED, now, "pause", frozenset({A.AVAILABLE, A.WRAP_UP, A.PAUSED}))
        if before is A.AVAILABLE:
            self._index.unfree(agent)
        elif before is A.WRAP_UP:
            self._end_wrap(agent, now)
        if before is A.PAUSED:
            add_pause(agent.totals, now)
        else:
            self._index.staff(agent, -1)
        self._start_pause(agent, reason, now)
        return [] if before is A.PAUSED else self._leave_if_empty(agent, now)

    def unpause(self, agent_id: str, now: float) -> list[Decision]:
        """Back to available; the reason stays readable as ``last_pause_reason``."""
        agent = self._agent(agent_id)
        now = self._time(now)
        agent.move(A.AVAILABLE, now, "unpause", frozenset({A.PAUSED}))
        reason = agent.pause_reason or ""
        add_pause(agent.totals, now)
        agent.pause_reason = None
        self._record(now, NONE, NONE, agent_id, QueueEvent.UNPAUSE, reason)
        self._index.staff(agent, +1)
        self._index.free(agent)
        return self._offer_to_agent(agent, now)

    def wrap_up_done(self, agent_id: str, now: float) -> list[Decision]:
        """After-call work finished before its time (the ``tick`` ends it when due)."""
        agent = self._agent(agent_id)
        now = self._time(now)
        if agent.state is A.WRAP_UP and agent.wrap_held:
            raise DispositionRequired(f"agent {agent_id!r}: the call needs its disposition first")
        agent.move(A.AVAILABLE, now, "finish wrap-up", frozenset({A.WRAP_UP}))
        return self._after_wrap(agent, now)

    # ------------------------------------------------------- the agent's desk
    def pause_after_call(self, agent_id: str, reason: str | None, now: float) -> list[Decision]:
        """Pause with ``reason`` once the current call (and its wrap-up) is over; ``None``
        cancels. ``no_call`` when the agent has no call."""
        if reason is not None:
            _check_reason(reason)
        agent = self._agent(agent_id)
        self._time(now)
        if agent.state not in (A.RESERVED, A.RINGING, A.ON_CALL, A.WRAP_UP):
            raise NoCall(f"agent {agent_id!r} has no call to pause after")
        agent.pause_after = reason
        return []

    def extend_wrap_up(self, agent_id: str, seconds: float, now: float) -> list[Decision]:
        """Give the wrap-up ``seconds`` more (from its end, or from now when overdue)."""
        agent = self._agent(agent_id)
        seconds = _finite(seconds)
        if seconds <= 0:
            raise InvalidValue("seconds must be positive")
        now = self._time(now)
        if agent.state is not A.WRAP_UP:
            raise NoCall(f"agent {agent_id!r} is not in wrap-up")
        agent.wrap_until = max(agent.wrap_until, now) + seconds
        agent.timer_version += 1
        entry = (agent.wrap_until, next(self._seq), agent.timer_version, agent)
        heapq.heappush(self._wrap_timers, entry)
        return []

    def disposition_given(self, agent_id: str, call_id: str, now: float) -> list[Decision]:
        """The agent gave ``call_id`` its disposition: a wrap-up of that call ends (available,
        or paused with the reason asked for after the call); given during the call, the
        wrap-up that follows runs only its timer."""
        agent = self._agent(agent_id)
        now = self._time(now)
        if agent.state is A.WRAP_UP and agent.wrap_call == call_id:
            agent.wrap_held = False
            agent.move(A.AVAILABLE, now, "finish wrap-up")
            return self._after_wrap(agent, now)
        if agent.call_id == call_id:
            agent.disposed_call = call_id
        return []

    # ----------------------------------------------------------------- calls
    def call_arrived(
        self,
        call_id: str,
        queue: str,
        now: float,
        priority: int = 0,
        entered_at: float | None = None,
    ) -> list[Decision]:
        """A caller joins ``queue``; higher ``priority`` is served first (VIP).

        ``entered_at`` (at most ``now``) restores a caller found waiting after a restart: he
        keeps his place, and steps already due (escalation, overflow, max wait) apply at once.
        """
        _check_id("call", call_id)
        runtime = self.queues.get(queue)
        if runtime is None:
            raise QueueNotFound(f"unknown queue {queue!r}")
        if call_id in self.calls:
            raise CallStateConflict(
                f"call {call_id!r} is already in queue {self.calls[call_id].queue!r}"
            )
        if isinstance(priority, bool) or not isinstance(priority, int):
            raise InvalidValue(f"call {call_id!r}: priority must be an integer, got {priority!r}")
        now = self._time(now)
        since = now if entered_at is None else min(_finite(entered_at), now)
        return self._enter(call_id, runtime, now, priority, since, (), since)

    def agent_ringing(self, call_id: str, now: float) -> list[Decision]:
        """The agent's phone rings for the offered call."""
        call = self._call(call_id, CallState.OFFERED, "ring")
        agent = self.agents[call.agent_id or ""]
        now = self._time(now)
        agent.move(A.RINGING, now, "ring", frozenset({A.RESERVED}))
        self._clock = now
        return []

    def agent_answered(self, call_id: str, now: float) -> list[Decision]:
        """The agent answered: caller and agent are connected."""
        call = self._call(call_id, CallState.OFFERED, "be answered")
        agent = self.agents[call.agent_id or ""]
        now = self._time(now)
        agent.move(A.ON_CALL, now, "answer", _RINGING)
        q = self.queues[call.queue]
        del q.offered[call_id]
        call.state = CallState.CONNECTED
        call.answered_at = now
        call.timer_version += 1
        hold = now - call.entered_at
        c = q.counters
        c.answered += 1
        c.hold_time += hold
        if hold <= q.config.service_level_seconds:
            c.answered_in_target += 1
        agent.totals.calls += 1
        agent.totals.talk_since = now
        self._record(
            now, call_id, q.name, agent.agent_id, QueueEvent.CONNECT,
            secs(hold), secs(now - call.offered_at),
        )  # fmt: skip
        return []

    def agent_no_answer(self, call_id: str, now: float) -> list[Decision]:
        """Ring-no-answer: the agent is paused ("no answer"), the call is offered again at once."""
        call = self._call(call_id, CallState.OFFERED, "be missed")
        return self._no_answer(call, self._time(now), None)

    def offer_withdrawn(self, call_id: str, now: float) -> list[Decision]:
        """An offer that never reached the agent (Asterisk was out of reach) is taken back
        with no penalty: no ring-no-answer, no pause (RINGCANCELED is logged); the call waits
        in its place again and both are matched anew (a new offer has a fresh ring timer)."""
        call = self._call(call_id, CallState.OFFERED, "withdraw its offer")
        now = self._time(now)
        q = self.queues[call.queue]
        agent = self.agents[call.agent_id or ""]
        del q.offered[call_id]
        call.state = CallState.WAITING
        call.agent_id = None
        q.line.add(call)
        self._record(
            now, call_id, q.name, agent.agent_id, QueueEvent.RINGCANCELED,
            secs(now - call.offered_at),
        )  # fmt: skip
        # steps due meanwhile apply first (an overflow may offer the call in its new queue),
        # while the agent is not free yet: then he gets the best call for him, in fair order
        decisions = self._step(call, now, [])
        agent.move(A.AVAILABLE, now, "stop ringing", _RINGING)
        agent.call_id = None
        self._index.free(agent)
        decisions += self._offer_to_agent(agent, now)
        if self.calls.get(call_id) is call and call.state is CallState.WAITING:
            offer = self._offer_to_call(call, now)
            if offer:
                decisions.append(offer)
        return decisions

    def call_handed_over(self, call_id: str, now: float, reason: str) -> list[Decision]:
        """Another engine took the call over (it adopted this engine's share): the call leaves
        this router (logged HANDOVER; the other engine's log goes on with it); an agent ringing
        or talking for it is paused with ``reason`` (busy with it elsewhere) until unpaused."""
        _check_reason(reason)
        call = self.calls.get(call_id)
        if call is None:
            raise CallNotFound(f"unknown call {call_id!r}")
        now = self._time(now)
        q = self.queues[call.queue]
        if call.state is CallState.WAITING:
            q.line.remove(call)
            self._record(now, call_id, q.name, NONE, QueueEvent.HANDOVER)
            self._forget(call)
            return []
        agent = self.agents[call.agent_id or ""]
        if call.state is CallState.OFFERED:
            del q.offered[call_id]
        self._record(now, call_id, q.name, agent.agent_id, QueueEvent.HANDOVER)
        if agent.state is A.ON_CALL:  # no direct way from a call to a pause
            agent.move(A.AVAILABLE, now, "hand a call over", frozenset({A.ON_CALL}))
        agent.move(A.PAUSED, now, "hand a call over", _RINGING | {A.AVAILABLE})
        agent.call_id = None
        agent.totals.talk_since = None
        self._start_pause(agent, reason, now)
        self._index.staff(agent, -1)
        self._forget(call)
        return self._leave_if_empty(agent, now)

    def call_abandoned(self, call_id: str, now: float) -> list[Decision]:
        """The caller hung up before being connected."""
        call = self.calls.get(call_id)
        if call is None:
            raise CallNotFound(f"unknown call {call_id!r}")
        if call.state is CallState.CONNECTED:
            raise CallStateConflict(
                f"call {call_id!r} is connected to agent {call.agent_id!r}: "
                "report its end with call_ended"
            )
        now = self._time(now)
        q = self.queues[call.queue]
        freed: Agent | None = None
        if call.state is CallState.OFFERED:
            freed = self.agents[call.agent_id or ""]
            freed.move(A.AVAILABLE, now, "stop ringing", _RINGING)
            del q.offered[call_id]
            freed.call_id = None
            self._record(
                now, call_id, q.name, freed.agent_id, QueueEvent.RINGCANCELED,
                secs(now - call.offered_at),
            )  # fmt: skip
            self._index.free(freed)
            position = 0
        else:
            position = q.line.position(call)
            q.line.remove(call)
        waited = now - call.entered_at
        self._record(
            now, call_id, q.name, NONE, QueueEvent.ABANDON,
            str(position), str(call.orig_position), secs(waited),
        )  # fmt: skip
        q.counters.abandoned += 1
        if waited < q.config.short_abandon_seconds:
            q.counters.short_abandoned += 1
        self._forget(call)
        return self._offer_to_agent(freed, now) if freed else []

    def call_ended(self, call_id: str, now: float, by_agent: bool = False) -> list[Decision]:
        """A connected call ended; the agent goes to wrap-up (or straight back to available)."""
        call = self._call(call_id, CallState.CONNECTED, "end")
        event = QueueEvent.COMPLETEAGENT if by_agent else QueueEvent.COMPLETECALLER
        return self._end_talk(call, self._time(now), event, ())

    def call_transferred(
        self,
        call_id: str,
        now: float,
        kind: str,
        target: str,
        priority: int | None = None,
        route: bool = True,
    ) -> list[Decision]:
        """The agent of a connected call transferred it (TRANSFER ``target|kind|...``); he goes
        to wrap-up as after any call. ``kind`` ``queue``: the caller joins queue ``target`` as a
        new entry (his wait there starts now; his priority is kept, or ``priority``); ``agent``:
        agent ``target`` (available) is offered the call at once, in the call's queue (a new
        entry too: a miss puts the caller in that queue's line); ``number``: the call leaves
        the ACD. ``route=False`` (an attended transfer Asterisk completed): the call leaves the
        ACD whatever the target. Nothing changes when the target is refused."""
        call = self._call(call_id, CallState.CONNECTED, "be transferred")
        now = self._time(now)
        _check_id("transfer target", target)
        if not route:
            if kind not in ("queue", "agent", "number"):
                raise InvalidValue(f"transfer kind must be queue, agent or number, got {kind!r}")
            return self._end_talk(call, now, QueueEvent.TRANSFER, (target, kind))
        if kind == "queue" and target not in self.queues:
            raise QueueNotFound(f"unknown queue {target!r}")
        if kind == "agent":
            found = self.agents.get(target)
            if found is None:
                raise AgentNotFound(f"agent {target!r} is not logged in")
            if found.state is not A.AVAILABLE or found.agent_id == call.agent_id:
                raise AgentBusy(f"agent {target!r} is {found.state.value}, not available")
        elif kind not in ("queue", "number"):
            raise InvalidValue(f"transfer kind must be queue, agent or number, got {kind!r}")
        level = call.priority if priority is None else priority
        decisions = self._end_talk(call, now, QueueEvent.TRANSFER, (target, kind))
        if kind == "queue":
            q = self.queues[target]
            return decisions + self._enter(call_id, q, now, level, call.first_joined_at, ())
        if kind == "agent":
            q = self.queues[call.queue]
            new = Call(call_id, q.name, level, now, call.first_joined_at, next(self._seq))
            self.calls[call_id] = new
            q.line.add(new)
            new.orig_position = q.line.position(new)
            q.counters.offered += 1
            self._record(
                now, call_id, q.name, NONE, QueueEvent.ENTERQUEUE,
                str(level), str(new.orig_position), repr(now),
            )  # fmt: skip
            return [*decisions, self._offer(q, new, self.agents[target], now)]
        return decisions

    def _end_talk(
        self, call: Call, now: float, event: QueueEvent, lead: tuple[str, ...]
    ) -> list[Decision]:
        """The agent's talk on ``call`` is over (completed or transferred): record it and send
        him to wrap-up (or back to available)."""
        call_id = call.call_id
        agent = self.agents[call.agent_id or ""]
        q = self.queues[call.queue]
        wrap = q.config.wrap_up_seconds
        held = bool(q.config.dispositions) and agent.disposed_call != call_id
        agent.disposed_call = None
        after = A.WRAP_UP if wrap > 0 or held else A.AVAILABLE
        agent.move(after, now, "end a call", frozenset({A.ON_CALL}))
        talk = now - call.answered_at
        self._record(
            now, call_id, q.name, agent.agent_id, event, *lead,
            secs(call.answered_at - call.entered_at), secs(talk), str(call.orig_position),
        )  # fmt: skip
        q.counters.completed += 1
        q.counters.talk_time += talk
        t = agent.totals
        t.talk_time += talk
        t.talk_since = None
        agent.call_id = None
        agent.last_talk = talk
        self._forget(call)
        if after is A.WRAP_UP:
            t.wrap_since = now
            t.wrap_queue = agent.wrap_queue = q.name
            agent.wrap_call = call_id
            agent.wrap_held = held
            agent.wrap_until = now + wrap
            agent.timer_version += 1
            entry = (agent.wrap_until, next(self._seq), agent.timer_version, agent)
            heapq.heappush(self._wrap_timers, entry)
            return []
        q.recent.append(talk)
        agent.idle_since = now
        if agent.pause_after is not None:
            return self._pause_after(agent, now)
        self._index.free(agent)
        return self._offer_to_agent(agent, now)

    def callback_accepted(self, call_id: str, now: float) -> list[Decision]:
        """The caller chose a callback: he may hang up, his place is kept (no max wait)."""
        call = self.calls.get(call_id)
        if call is None:
            raise CallNotFound(f"unknown call {call_id!r}")
        if call.state is CallState.CONNECTED:
            raise CallStateConflict(f"call {call_id!r} is not waiting in a queue")
        now = self._time(now)
        call.callback = True
        q = self.queues[call.queue]
        position = q.line.position(call) if call.state is CallState.WAITING else 0
        self._record(now, call_id, q.name, NONE, QueueEvent.CALLBACK, str(position))
        if call.state is CallState.WAITING:
            self._schedule(call, now)
        return []

    # ------------------------------------------------------ supervisor moves
    def move_call(self, call_id: str, queue: str, now: float) -> list[Decision]:
        """Move a waiting caller to ``queue``; he keeps his place in time (his join time, hence
        his wait and escalation stage), his priority and his callback.

        Logged as Asterisk logs a caller leaving by choice (``EXITWITHKEY``, key ``move``) and
        joining the other queue (``ENTERQUEUE`` with his first join time). Refused, nothing
        changed, when the call is not waiting or the queue would refuse him (full, unstaffed).
        """
        call = self._call(call_id, CallState.WAITING, "be moved")
        target = self._queue(queue)
        if target.name == call.queue:
            raise CallStateConflict(f"call {call_id!r} is already in queue {queue!r}")
        config = target.config
        if config.max_length is not None and target.line.count + len(target.offered) >= (
            config.max_length
        ):
            raise QueueRefused(f"queue {queue!r} is full")
        if config.when_no_agents is not WhenNoAgents.JOIN and target.staffed == 0:
            raise QueueRefused(f"queue {queue!r} has no agent to take callers")
        now = self._time(now)
        q = self.queues[call.queue]
        position = q.line.position(call)
        q.line.remove(call)
        self._forget(call)
        q.counters.overflowed += 1  # like an overflow: an outcome of this queue
        self._record(
            now, call_id, q.name, NONE, QueueEvent.EXITWITHKEY,
            MOVED, str(position), str(call.orig_position), secs(now - call.entered_at),
        )  # fmt: skip
        visited = (*call.visited, q.name)
        return self._enter(
            call_id, target, now, call.priority, call.first_joined_at, visited, call.entered_at,
            (call.callback, call.callback_offered),
        )  # fmt: skip

    def move_to_front(self, call_id: str, now: float) -> int:
        """Serve a waiting caller next in his queue: his priority rises just above every other
        caller's there (as Asterisk's QueueChangePriorityCaller); his join time is kept.
        Returns his priority (unchanged when he was first already).

        Asterisk logs nothing for a priority change; here it is logged ``PRIORITY`` with key
        ``front``, his place before, his origposition, his wait and the old and new priority
        (nothing when his priority was unchanged), so the queue log tells why he was served
        before callers who came earlier."""
        call = self._call(call_id, CallState.WAITING, "be moved to the front")
        now = self._time(now)
        q = self.queues[call.queue]
        others = [c.priority for c in q.line.calls() if c is not call]
        top = max(others, default=call.priority - 1)
        if call.priority > top:
            return call.priority
        position, before = q.line.position(call), call.priority
        q.line.remove(call)
        call.priority = top + 1
        q.line.add(call)
        self._record(
            now, call_id, q.name, NONE, QueueEvent.PRIORITY,
            FRONT, str(position), str(call.orig_position), secs(now - call.entered_at),
            str(before), str(call.priority),
        )  # fmt: skip
        return call.priority

    def change_skills(self, agent_id: str, skills: Mapping[str, int], now: float) -> list[Decision]:
        """New skills for a logged-in agent, at once, whatever his state: a call he holds goes
        on; the queues he may serve from now on are the new skills' (a free agent may take a
        waiting caller at once; a queue left unstaffed with ``when_no_agents=leave`` empties)."""
        agent = self._agent(agent_id)
        if agent.state is A.LOGGED_OUT:
            raise AgentNotLoggedIn(agent_id)
        profile = SkillProfile(skills)
        now = self._time(now)
        staffed = agent.state is not A.PAUSED
        free = agent.state is A.AVAILABLE
        before = agent.profile_id
        if free:
            self._index.unfree(agent)
        if staffed:
            self._index.staff(agent, -1)
        agent.profile, agent.profile_id = profile, self._index.intern(profile)
        decisions: list[Decision] = []
        if staffed:
            self._index.staff(agent, +1)
            for q, _, _ in self._index.served[before]:
                if not q.staffed and q.config.when_no_agents is WhenNoAgents.LEAVE:
                    decisions += self._exit_empty(q, now)
        if free:
            self._index.free(agent)
            decisions += self._offer_to_agent(agent, now)
        return decisions

    # ---------------------------------------------------------- configuration
    def reconfigure(self, queues: Iterable[QueueConfig], now: float) -> list[Decision]:
        """Swap the queue configuration; nothing else is touched.

        Agents keep their state, time in state, idle order, pause reasons and statistics;
        callers keep their queue, place and join time; a call ringing an agent goes on ringing
        (its ring timeout is the one it was offered with); connected calls and wrap-ups go on.
        Queue statistics continue. Waiting callers then follow the new settings at once, as a
        caller restored after a restart does: a step already due applies (wider skills,
        overflow, max wait), and a free agent the new settings allow takes a waiting caller.
        No queue-log record is written for the change itself.

        A queue may be removed only when no call is in it and no agent is in wrap-up from it
        (``queue_in_use``); nothing changes when the new set is refused.
        """
        configs = check_queues(queues)
        for name in self.queues.keys() - configs.keys():
            old = self.queues[name]
            if old.line.count or old.offered or any(c.queue == name for c in self.calls.values()):
                raise QueueInUse(f"queue {name!r} still has calls; it cannot be removed")
            if any(a.wrap_queue == name for a in self.agents.values()):
                raise QueueInUse(f"queue {name!r} has agents in wrap-up; it cannot be removed")
        now = self._time(now)
        runtimes: dict[str, QueueRuntime] = {}
        for name, config in configs.items():
            fresh = QueueRuntime(config, EscalationPlan(config, configs))
            before = self.queues.get(name)
            if before is not None:
                fresh.line, fresh.offered = before.line, before.offered
                fresh.counters, fresh.recent, fresh.rr_last = (
                    before.counters,
                    before.recent,
                    before.rr_last,
                )
            runtimes[name] = fresh
        self.queues = runtimes
        self._index.reindex(runtimes)
        for agent in self.agents.values():
            if agent.state not in (A.LOGGED_OUT, A.PAUSED):
                self._index.staff(agent, +1)
        decisions: list[Decision] = []
        for q in runtimes.values():
            if not q.staffed and q.config.when_no_agents is WhenNoAgents.LEAVE:
                decisions += self._exit_empty(q, now)
        escalated: list[Call] = []
        for q in runtimes.values():
            for call in q.line.calls():
                if self.calls.get(call.call_id) is call and call.state is CallState.WAITING:
                    decisions += self._step(call, now, escalated)
        escalated.sort(key=self._rank)
        for call in escalated:
            if self.calls.get(call.call_id) is call and call.state is CallState.WAITING:
                offer = self._offer_to_call(call, now)
                if offer:
                    decisions.append(offer)
        return decisions

    # ------------------------------------------------------------------ time
    def tick(self, now: float) -> list[Decision]:
        """Apply what time brings: wrap-ups ending, ring timeouts, escalation steps, max wait."""
        now = self._clock = self._time(now)
        decisions: list[Decision] = []
        freed: list[Agent] = []
        while self._wrap_timers and self._wrap_timers[0][0] <= now:
            _, _, version, agent = heapq.heappop(self._wrap_timers)
            if version == agent.timer_version and agent.state is A.WRAP_UP:
                if agent.wrap_held:
                    continue  # over its time: ends with the disposition
                agent.move(A.AVAILABLE, now, "finish wrap-up")
                decisions += self._after_wrap(agent, now, offer=False)
                freed.append(agent)
        escalated: list[Call] = []
        while self._call_timers and self._call_timers[0][0] <= now:
            _, _, version, call = heapq.heappop(self._call_timers)
            if version != call.timer_version:
                continue
            if call.state is CallState.OFFERED:
                decisions += self._no_answer(call, now, "ring_timeout")
            elif call.state is CallState.WAITING:
                decisions += self._step(call, now, escalated)
        for agent in freed:
            if agent.state is A.AVAILABLE:
                decisions += self._offer_to_agent(agent, now)
        escalated.sort(key=self._rank)
        for call in escalated:
            if call.state is CallState.WAITING:
                offer = self._offer_to_call(call, now)
                if offer:
                    decisions.append(offer)
        return decisions

    def due_calls(self, now: float) -> set[str]:
        """The calls a :meth:`tick` at ``now`` would act on (ring timeout, escalation step,
        max wait); nothing changes."""
        now = self._time(now)
        return {
            call.call_id
            for due, _, version, call in self._call_timers
            if due <= now
            and version == call.timer_version
            and call.state in (CallState.OFFERED, CallState.WAITING)
        }

    # --------------------------------------------------------------- queries
    def agent(self, agent_id: str) -> AgentView:
        a = self._agent(agent_id)
        return AgentView(
            a.agent_id, a.state, a.state_since, a.call_id, a.pause_reason,
            a.last_pause_reason, a.profile.as_dict(),
            a.wrap_until if a.state is A.WRAP_UP else None, a.wrap_held, a.pause_after,
            a.wrap_call if a.state is A.WRAP_UP else None,
        )  # fmt: skip

    def waiting_calls(self, queue: str) -> list[str]:
        """Ids of the calls waiting in ``queue``, in the order they will be served."""
        return [c.call_id for c in self._queue(queue).line.calls()]

    def position(self, call_id: str) -> int:
        """1-based place among waiting callers of its queue; 0 while an agent is being rung."""
        call = self.calls.get(call_id)
        if call is None:
            raise CallNotFound(f"unknown call {call_id!r}")
        if call.state is CallState.CONNECTED:
            raise CallStateConflict(f"call {call_id!r} is not waiting in a queue")
        if call.state is CallState.OFFERED:
            return 0
        return self.queues[call.queue].line.position(call)

    def expected_wait(self, call_id: str) -> float | None:
        """Seconds left to wait: position x recent handling time / staffed agents (None: none)."""
        position = self.position(call_id)
        return self._expected(self.queues[self.calls[call_id].queue], position)

    def announcements(self, queue: str) -> list[tuple[str, int, float | None]]:
        """``(call, position, expected wait)`` for every waiting caller of ``queue``, in order."""
        q = self._queue(queue)
        return [(call.call_id, n, self._expected(q, n)) for n, call in enumerate(q.line.calls(), 1)]

    def _expected(self, q: QueueRuntime, position: int) -> float | None:
        if position == 0:
            return 0.0
        if q.staffed == 0:
            return None
        aht = sum(q.recent) / len(q.recent) if q.recent else q.config.default_handle_time
        return position * aht / q.staffed

    def stats(self, now: float) -> StatsSnapshot:
        """Live statistics of every queue and every agent who ever logged in."""
        queues = {}
        for name, q in self.queues.items():
            entered = [c.entered_at for c in q.offered.values()]
            oldest = q.line.oldest_entry()
            if oldest is not None:
                entered.append(oldest)
            longest = now - min(entered) if entered else 0.0
            waiting = q.line.count + len(q.offered)
            queues[name] = make_queue_stats(q.config, q.counters, waiting, longest)
        agents = {a: make_agent_stats(a, x.totals, now) for a, x in self.agents.items()}
        return StatsSnapshot(now=now, queues=queues, agents=agents)

    def drain_log(self) -> list[QueueLogRecord]:
        """Queue log records produced since the last drain, oldest first."""
        records, self._log = self._log, []
        return records

    @property
    def configs(self) -> dict[str, QueueConfig]:
        return {name: q.config for name, q in self.queues.items()}

    # ------------------------------------------------------------- internals
    def _time(self, now: float) -> float:
        """Clamp time to never run backwards (events from several sources may be skewed).

        The clock itself moves only when a change is applied (see ``_record``), so a refused
        request with a wrong timestamp cannot drag later events along.
        """
        now = _finite(now)
        return self._clock if now < self._clock else now

    def _record(
        self, now: float, call_id: str, queue: str, agent: str, event: QueueEvent, *data: str
    ) -> None:
        self._clock = now
        self._log.append(QueueLogRecord(now, call_id, queue, agent, event, data))

    def _agent(self, agent_id: str) -> Agent:
        agent = self.agents.get(agent_id)
        if agent is None:
            raise AgentNotLoggedIn(agent_id)
        return agent

    def _queue(self, name: str) -> QueueRuntime:
        q = self.queues.get(name)
        if q is None:
            raise QueueNotFound(f"unknown queue {name!r}")
        return q

    def _call(self, call_id: str, state: CallState, action: str) -> Call:
        call = self.calls.get(call_id)
        if call is None:
            raise CallNotFound(f"unknown call {call_id!r}")
        if call.state is not state:
            raise CallStateConflict(f"call {call_id!r} cannot {action}: it is {call.state.value}")
        return call

    def _start_pause(self, agent: Agent, reason: str, now: float) -> None:
        agent.pause_reason = agent.last_pause_reason = reason
        agent.totals.paused_since = now
        agent.totals.pause_reason = reason
        self._record(now, NONE, NONE, agent.agent_id, QueueEvent.PAUSE, reason)

    def _end_wrap(self, agent: Agent, now: float) -> None:
        t = agent.totals
        q = self.queues[agent.wrap_queue or ""]
        wrap = now - (t.wrap_since if t.wrap_since is not None else now)
        t.wrap_time += wrap
        q.counters.wrap_time += wrap
        q.recent.append(agent.last_talk + wrap)
        self._record(
            now, agent.wrap_call or NONE, q.name, agent.agent_id, QueueEvent.WRAPUPEND, secs(wrap)
        )
        t.wrap_since = None
        t.wrap_queue = agent.wrap_queue = agent.wrap_call = None
        agent.wrap_held = False
        agent.timer_version += 1

    def _after_wrap(self, agent: Agent, now: float, offer: bool = True) -> list[Decision]:
        self._end_wrap(agent, now)
        agent.idle_since = now
        if agent.pause_after is not None:
            return self._pause_after(agent, now)
        self._index.free(agent)
        return self._offer_to_agent(agent, now) if offer else []

    def _pause_after(self, agent: Agent, now: float) -> list[Decision]:
        """Available -> paused with the reason asked for after the call (not freed)."""
        reason, agent.pause_after = agent.pause_after or "", None
        agent.move(A.PAUSED, now, "pause")
        self._index.staff(agent, -1)
        self._start_pause(agent, reason, now)
        return self._leave_if_empty(agent, now)

    def _enter(
        self,
        call_id: str,
        q: QueueRuntime,
        now: float,
        priority: int,
        first_joined: float,
        visited: tuple[str, ...],
        entered: float | None = None,
        callback: tuple[bool, bool] = (False, False),
    ) -> list[Decision]:
        config = q.config
        if config.max_length is not None and q.line.count + len(q.offered) >= config.max_length:
            q.counters.refused += 1
            self._record(now, call_id, q.name, NONE, QueueEvent.FULL)
            return [Rejected(call_id, q.name, "full")]
        if config.when_no_agents is not WhenNoAgents.JOIN and q.staffed == 0:
            q.counters.refused += 1
            self._record(now, call_id, q.name, NONE, QueueEvent.JOINEMPTY)
            return [Rejected(call_id, q.name, "no_agents")]
        since = now if entered is None else entered
        call = Call(
            call_id, q.name, priority, since, first_joined, next(self._seq), visited=visited
        )
        call.callback, call.callback_offered = callback
        self.calls[call_id] = call
        q.line.add(call)
        call.orig_position = q.line.position(call)
        q.counters.offered += 1
        self._record(
            now, call_id, q.name, NONE, QueueEvent.ENTERQUEUE,
            str(priority), str(call.orig_position), repr(since),
        )  # fmt: skip
        decisions = self._step(call, now, [])  # a restored call may have steps already due
        if self.calls.get(call_id) is call and call.state is CallState.WAITING:
            offer = self._offer_to_call(call, now)
            if offer:
                decisions.append(offer)
        return decisions

    def _schedule(self, call: Call, now: float) -> None:
        q = self.queues[call.queue]
        due = q.plan.next_step_time(call.entered_at, now)
        if q.config.max_wait is not None and not call.callback:
            deadline = call.entered_at + q.config.max_wait
            due = deadline if due is None else min(due, deadline)
        call.timer_version += 1
        if due is not None:
            heapq.heappush(self._call_timers, (due, next(self._seq), call.timer_version, call))

    def _step(self, call: Call, now: float, escalated: list[Call]) -> list[Decision]:
        """A waiting call's timer fired: final step, max wait, or a wider stage."""
        q = self.queues[call.queue]
        plan, config = q.plan, q.config
        final_due = call.entered_at + plan.final_after if plan.final_after is not None else None
        max_due = (
            call.entered_at + config.max_wait
            if config.max_wait is not None and not call.callback
            else None
        )
        final = (
            final_due is not None and final_due <= now and (max_due is None or final_due <= max_due)
        )
        if final and plan.overflow_to is not None:
            return self._leave(call, q, now, TIMEOUT_OVERFLOW)
        if max_due is not None and max_due <= now:  # also when a callback offer would be moot
            return self._leave(call, q, now, TIMEOUT_MAX_WAIT)
        decisions: list[Decision] = []
        if final and not call.callback_offered:
            call.callback_offered = True
            decisions.append(OfferCallback(call.call_id, q.name))
        self._schedule(call, now)
        escalated.append(call)
        return decisions

    def _leave(self, call: Call, q: QueueRuntime, now: float, reason: str) -> list[Decision]:
        waited = now - call.entered_at
        position = q.line.position(call)
        q.line.remove(call)
        self._forget(call)
        self._record(
            now, call.call_id, q.name, NONE, QueueEvent.EXITWITHTIMEOUT,
            str(position), str(call.orig_position), secs(waited), reason,
        )  # fmt: skip
        if reason == TIMEOUT_MAX_WAIT:
            q.counters.timed_out += 1
            return [Timeout(call.call_id, q.name, waited)]
        q.counters.overflowed += 1
        target = self.queues[q.plan.overflow_to or ""]
        decisions: list[Decision] = [Overflow(call.call_id, q.name, target.name)]
        visited = (*call.visited, q.name)
        return decisions + self._enter(
            call.call_id, target, now, call.priority, call.first_joined_at, visited
        )

    def _leave_if_empty(self, agent: Agent, now: float) -> list[Decision]:
        decisions: list[Decision] = []
        for q, _, _ in self._index.served[agent.profile_id]:
            if q.staffed or q.config.when_no_agents is not WhenNoAgents.LEAVE:
                continue
            decisions += self._exit_empty(q, now)
        return decisions

    def _exit_empty(self, q: QueueRuntime, now: float) -> list[Decision]:
        """Every waiting caller of ``q`` leaves (nobody staffs it, ``when_no_agents=leave``)."""
        decisions: list[Decision] = []
        for position, call in enumerate(q.line.calls(), start=1):
            q.line.remove(call)
            self._forget(call)
            q.counters.exited_empty += 1
            self._record(
                now, call.call_id, q.name, NONE, QueueEvent.EXITEMPTY,
                str(position), str(call.orig_position), secs(now - call.entered_at),
            )  # fmt: skip
            decisions.append(ExitEmpty(call.call_id, q.name))
        return decisions

    def _forget(self, call: Call) -> None:
        self.calls.pop(call.call_id, None)
        call.timer_version += 1

    def _no_answer(self, call: Call, now: float, cancel: str | None) -> list[Decision]:
        agent = self.agents[call.agent_id or ""]
        agent.move(A.PAUSED, now, "miss a call", _RINGING)
        q = self.queues[call.queue]
        del q.offered[call.call_id]
        call.state = CallState.WAITING
        call.agent_id = None
        agent.call_id = None
        q.line.add(call)
        q.counters.no_answers += 1
        agent.totals.no_answers += 1
        self._record(
            now, call.call_id, q.name, agent.agent_id, QueueEvent.RINGNOANSWER,
            secs(now - call.offered_at),
        )  # fmt: skip
        self._start_pause(agent, agent.pause_after or NO_ANSWER, now)
        agent.pause_after = None
        self._index.staff(agent, -1)
        decisions: list[Decision] = []
        if cancel:
            decisions.append(CancelOffer(call.call_id, agent.agent_id, q.name, cancel))
        decisions += self._leave_if_empty(agent, now)
        if self.calls.get(call.call_id) is call:
            # steps that fell due while the agent was rung apply now (overflow, max wait...)
            decisions += self._step(call, now, [])
        if self.calls.get(call.call_id) is call and call.state is CallState.WAITING:
            offer = self._offer_to_call(call, now)
            if offer:
                decisions.append(offer)
        return decisions

    def _rank(self, call: Call) -> tuple[int, int, float, int]:
        return (-call.priority, -self.queues[call.queue].config.weight, call.entered_at, call.seq)

    def _offer_to_call(self, call: Call, now: float) -> Offer | None:
        q = self.queues[call.queue]
        agent = self._index.best_agent(q, call, now)
        return self._offer(q, call, agent, now) if agent else None

    def _offer_to_agent(self, agent: Agent, now: float) -> list[Decision]:
        found = self._index.best_call(agent, now)
        return [self._offer(found[0], found[1], agent, now)] if found else []

    def _offer(self, q: QueueRuntime, call: Call, agent: Agent, now: float) -> Offer:
        agent.move(A.RESERVED, now, "take a call", frozenset({A.AVAILABLE}))
        self._index.unfree(agent)
        agent.call_id = call.call_id
        q.line.remove(call)
        q.offered[call.call_id] = call
        call.state = CallState.OFFERED
        call.agent_id = agent.agent_id
        call.offered_at = now
        q.rr_last = agent.seq
        call.timer_version += 1
        due = now + q.config.ring_timeout + RING_GRACE
        heapq.heappush(self._call_timers, (due, next(self._seq), call.timer_version, call))
        return Offer(call.call_id, agent.agent_id, q.name, q.config.ring_timeout, call.callback)

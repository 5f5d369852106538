"""Queue and agent statistics: live counters kept by the router, and a rebuild from the queue log.

Definitions (per queue):

- offered: callers who entered the queue (ENTERQUEUE).
- service level: answered within ``service_level_seconds`` divided by callers whose outcome in
  this queue is known (answered, abandoned, timed out, overflowed, left empty), short abandons
  (before ``short_abandon_seconds``) excluded. ``None`` before any outcome.
- ASA: mean wait of answered callers; AHT: (talk + wrap-up) / completed calls.

Per agent: calls answered, talk, wrap-up, pause time by reason, logged-in time, ring-no-answers and
occupancy = (talk + wrap-up) / (logged in - paused). Open intervals count up to ``now``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields

from acd.domain.queue_log import TIMEOUT_OVERFLOW, QueueEvent, QueueLogRecord
from acd.domain.queues import QueueConfig


@dataclass(slots=True)
class QueueCounters:
    offered: int = 0
    answered: int = 0
    answered_in_target: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    timed_out: int = 0
    overflowed: int = 0
    exited_empty: int = 0
    refused: int = 0
    no_answers: int = 0
    completed: int = 0
    hold_time: float = 0.0
    talk_time: float = 0.0
    wrap_time: float = 0.0


@dataclass(frozen=True, slots=True)
class QueueStats:
    queue: str
    waiting: int
    longest_wait: float
    offered: int
    answered: int
    answered_in_target: int
    abandoned: int
    short_abandoned: int
    timed_out: int
    overflowed: int
    exited_empty: int
    refused: int
    no_answers: int
    completed: int
    hold_time: float
    talk_time: float
    wrap_time: float
    service_level: float | None
    asa: float | None
    aht: float | None


@dataclass(frozen=True, slots=True)
class AgentStats:
    agent: str
    calls: int
    no_answers: int
    talk_time: float
    wrap_time: float
    logged_in_time: float
    pause_time: dict[str, float]
    occupancy: float | None


@dataclass(frozen=True, slots=True)
class StatsSnapshot:
    now: float
    queues: dict[str, QueueStats]
    agents: dict[str, AgentStats]


def make_queue_stats(
    config: QueueConfig, c: QueueCounters, waiting: int, longest_wait: float
) -> QueueStats:
    """Finish the ratios from counters (shared by the live and the rebuilt figures)."""
    outcomes = (
        c.answered + c.abandoned - c.short_abandoned + c.timed_out + c.overflowed + c.exited_empty
    )
    values = {f.name: getattr(c, f.name) for f in fields(c)}
    return QueueStats(
        queue=config.name,
        waiting=waiting,
        longest_wait=longest_wait,
        service_level=c.answered_in_target / outcomes if outcomes else None,
        asa=c.hold_time / c.answered if c.answered else None,
        aht=(c.talk_time + c.wrap_time) / c.completed if c.completed else None,
        **values,
    )


@dataclass(slots=True)
class AgentTotals:
    """Closed intervals of one agent, plus where his open ones started."""

    calls: int = 0
    no_answers: int = 0
    talk_time: float = 0.0
    wrap_time: float = 0.0
    logged_in_time: float = 0.0
    pause_time: dict[str, float] = field(default_factory=dict)
    login_at: float | None = None
    talk_since: float | None = None
    wrap_since: float | None = None
    wrap_queue: str | None = None
    paused_since: float | None = None
    pause_reason: str | None = None


def make_agent_stats(agent_id: str, t: AgentTotals, now: float) -> AgentStats:
    """Totals with the open intervals counted up to ``now``."""
    talk = t.talk_time + (now - t.talk_since if t.talk_since is not None else 0.0)
    wrap = t.wrap_time + (now - t.wrap_since if t.wrap_since is not None else 0.0)
    logged = t.logged_in_time + (now - t.login_at if t.login_at is not None else 0.0)
    pauses = dict(t.pause_time)
    if t.paused_since is not None and t.pause_reason is not None:
        pauses[t.pause_reason] = pauses.get(t.pause_reason, 0.0) + (now - t.paused_since)
    working = logged - sum(pauses.values())
    return AgentStats(
        agent=agent_id,
        calls=t.calls,
        no_answers=t.no_answers,
        talk_time=talk,
        wrap_time=wrap,
        logged_in_time=logged,
        pause_time=pauses,
        occupancy=(talk + wrap) / working if working > 0 else None,
    )


def add_pause(t: AgentTotals, now: float) -> None:
    """Close the open pause interval of ``t``."""
    if t.paused_since is not None and t.pause_reason is not None:
        t.pause_time[t.pause_reason] = t.pause_time.get(t.pause_reason, 0.0) + (
            now - t.paused_since
        )
    t.paused_since = None
    t.pause_reason = None


def stats_from_log(
    records: Iterable[QueueLogRecord], queues: Mapping[str, QueueConfig], now: float
) -> StatsSnapshot:
    """Rebuild every statistic from the queue log alone (plus the queue configuration).

    A log that starts mid-day (calls or pauses already under way) is accepted: what happened
    before its first record is unknown and left out; records of queues not configured are
    ignored.
    """
    folded = LogStats(queues)
    for r in records:
        folded.add(r)
    return folded.snapshot(now)


class LogStats:
    """The statistics of a queue log kept up to date record by record: :meth:`add` costs the
    same whatever the log's length, :meth:`snapshot` is proportional to queues and agents
    (not to records). Folding a log in any number of steps gives what
    :func:`stats_from_log` gives for the whole of it."""

    def __init__(self, queues: Mapping[str, QueueConfig]) -> None:
        self.queues = dict(queues)
        self.counters = {name: QueueCounters() for name in queues}
        self.waiting: dict[str, tuple[str, float]] = {}  # call -> (queue, entered)
        self.connected: dict[str, tuple[str, float]] = {}  # call -> (queue, answered)
        self.agents: dict[str, AgentTotals] = {}

    def _of(self, queue: str) -> QueueCounters:
        return self.counters.get(queue) or QueueCounters()  # unknown queue: counted nowhere

    def add(self, r: QueueLogRecord) -> None:
        """Fold one record in."""
        E = QueueEvent
        ev = r.event
        of, waiting, connected = self._of, self.waiting, self.connected
        t = self.agents.setdefault(r.agent, AgentTotals()) if ev in _AGENT_EVENTS else _NOBODY
        config = self.queues.get(r.queue)
        if ev is E.ENTERQUEUE:
            of(r.queue).offered += 1
            waiting[r.call_id] = (r.queue, _number(r.data, 2) if len(r.data) > 2 else r.time)
        elif ev is E.FULL or ev is E.JOINEMPTY:
            of(r.queue).refused += 1
        elif ev is E.CONNECT:
            _, entered = waiting.pop(r.call_id, (r.queue, r.time - _number(r.data, 0)))
            c = of(r.queue)
            hold = r.time - entered
            c.answered += 1
            c.hold_time += hold
            if config is not None and hold <= config.service_level_seconds:
                c.answered_in_target += 1
            connected[r.call_id] = (r.queue, r.time)
            t.calls += 1
            t.talk_since = r.time
        elif ev is E.RINGNOANSWER:
            of(r.queue).no_answers += 1
            t.no_answers += 1
        elif ev is E.ABANDON:
            _, entered = waiting.pop(r.call_id, (r.queue, r.time - _number(r.data, 2)))
            c = of(r.queue)
            c.abandoned += 1
            if config is not None and r.time - entered < config.short_abandon_seconds:
                c.short_abandoned += 1
        elif ev is E.EXITWITHTIMEOUT:
            waiting.pop(r.call_id, None)
            if r.data[3:4] == (TIMEOUT_OVERFLOW,):
                of(r.queue).overflowed += 1
            else:
                of(r.queue).timed_out += 1
        elif ev is E.EXITWITHKEY:  # moved to another queue by a supervisor
            waiting.pop(r.call_id, None)
            of(r.queue).overflowed += 1
        elif ev is E.EXITEMPTY:
            waiting.pop(r.call_id, None)
            of(r.queue).exited_empty += 1
        elif ev is E.COMPLETEAGENT or ev is E.COMPLETECALLER or ev is E.TRANSFER:
            calltime = _number(r.data, 3 if ev is E.TRANSFER else 1)
            _, answered = connected.pop(r.call_id, (r.queue, r.time - calltime))
            talk = r.time - answered
            c = of(r.queue)
            c.completed += 1
            c.talk_time += talk
            t.talk_time += talk
            t.talk_since = None
            if config is not None and config.wrap_up_seconds > 0:
                t.wrap_since = r.time
                t.wrap_queue = r.queue
        elif ev is E.HANDOVER:  # counted on by the engine that took it
            waiting.pop(r.call_id, None)
            connected.pop(r.call_id, None)
            if r.agent in self.agents:  # his talk goes on elsewhere, counted there
                self.agents[r.agent].talk_since = None
        elif ev is E.WRAPUPEND:
            if t.wrap_since is not None:
                wrap = r.time - t.wrap_since
                t.wrap_time += wrap
                of(r.queue).wrap_time += wrap
            t.wrap_since = None
            t.wrap_queue = None
        elif ev is E.PAUSE:
            add_pause(t, r.time)
            t.paused_since = r.time
            t.pause_reason = r.data[0] if r.data else ""
        elif ev is E.UNPAUSE:
            add_pause(t, r.time)
        elif ev is E.ADDMEMBER:
            t.login_at = r.time
        elif ev is E.REMOVEMEMBER:
            add_pause(t, r.time)
            if t.login_at is not None:
                t.logged_in_time += r.time - t.login_at
            t.login_at = None

    def snapshot(self, now: float) -> StatsSnapshot:
        """The statistics at ``now`` (open intervals counted up to it); nothing is changed."""
        queue_stats = {}
        for name, config in self.queues.items():
            joined = [e for q, e in self.waiting.values() if q == name]
            longest = max((now - e for e in joined), default=0.0)
            queue_stats[name] = make_queue_stats(config, self.counters[name], len(joined), longest)
        return StatsSnapshot(
            now=now,
            queues=queue_stats,
            agents={a: make_agent_stats(a, t, now) for a, t in self.agents.items()},
        )


_NOBODY = AgentTotals()  # sink for agent figures of records without an agent


def _number(data: tuple[str, ...], index: int) -> float:
    """A duration field of a record, 0 when missing or unreadable."""
    try:
        return float(data[index])
    except (IndexError, ValueError):
        return 0.0


_AGENT_EVENTS = frozenset(
    {
        QueueEvent.CONNECT,
        QueueEvent.RINGNOANSWER,
        QueueEvent.COMPLETEAGENT,
        QueueEvent.COMPLETECALLER,
        QueueEvent.TRANSFER,
        QueueEvent.WRAPUPEND,
        QueueEvent.PAUSE,
        QueueEvent.UNPAUSE,
        QueueEvent.ADDMEMBER,
        QueueEvent.REMOVEMEMBER,
    }
)

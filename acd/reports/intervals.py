"""Interval reports rebuilt from the queue log: per queue and per agent, in the site's time zone.

Pure: records, queue configuration, the interval bounds and ``now`` come in; rows come out.

Queue figures belong to the interval in which the caller **entered** the queue (its outcome may
come later): offered, answered, answered in target, abandoned (short abandons counted apart and
left out of the service level), timed out, left empty, transfers (moved to another queue by an
overflow step), callbacks (accepted), longest wait, ASA = wait of answered ÷ answered, AHT =
(talk + wrap-up) ÷ completed. Refused callers (queue full, nobody logged in) never entered: they
count in the interval of their refusal. Service level = answered in target ÷ (answered +
abandoned - short abandoned + timed out + transferred + left empty), as in ``acd.domain.stats``.

Agent figures are time: each span (logged in, paused by reason, talking, wrap-up) is cut at the
interval edges, so an hour's talk that crosses 21:00 counts in both intervals. Calls and ring-no-
answers count where they happened. Occupancy = (talk + wrap-up) ÷ (logged in - paused). Spans
still open count up to ``now``. What happened before the first record read is unknown.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from acd.domain.queue_log import NONE, TIMEOUT_OVERFLOW, QueueEvent, QueueLogRecord
from acd.domain.queues import QueueConfig

E = QueueEvent


class Interval(StrEnum):
    MIN15 = "15"
    MIN30 = "30"
    MIN60 = "60"
    DAY = "day"


@dataclass(frozen=True, slots=True)
class Bounds:
    """Contiguous intervals ``[starts[i], starts[i+1])`` in epoch seconds, and their zone."""

    starts: tuple[float, ...]  # one more than the intervals: the last is the end
    zone: ZoneInfo

    def __len__(self) -> int:
        return len(self.starts) - 1

    def index(self, t: float) -> int | None:
        """The interval holding ``t``, or None outside the range."""
        i = bisect.bisect_right(self.starts, t) - 1
        return i if 0 <= i < len(self) else None

    def local(self, i: int) -> tuple[datetime, datetime]:
        """Start and end of interval ``i`` as aware datetimes in the site's zone."""
        return (
            datetime.fromtimestamp(self.starts[i], self.zone),
            datetime.fromtimestamp(self.starts[i + 1], self.zone),
        )


def interval_bounds(first: date, last: date, zone: ZoneInfo, interval: Interval) -> Bounds:
    """Intervals covering local days ``first``..``last`` (inclusive), each day cut at local
    midnight; a day of 23 or 25 hours (summer time) keeps fixed-length intervals."""
    if last < first:
        raise ValueError("the range ends before it starts")
    starts: list[float] = []
    day = first
    while day <= last:
        begin = datetime.combine(day, time(), zone).timestamp()
        end = datetime.combine(day + timedelta(days=1), time(), zone).timestamp()
        if interval is Interval.DAY:
            starts.append(begin)
        else:
            step = int(interval.value) * 60
            t = begin
            while t < end:
                starts.append(t)
                t += step
        day += timedelta(days=1)
    starts.append(datetime.combine(last + timedelta(days=1), time(), zone).timestamp())
    return Bounds(tuple(starts), zone)


@dataclass(slots=True)
class QueueRow:
    queue: str
    start: datetime
    end: datetime
    offered: int = 0
    answered: int = 0
    answered_in_target: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    timed_out: int = 0
    exited_empty: int = 0
    refused: int = 0
    transfers: int = 0
    callbacks: int = 0
    completed: int = 0
    hold_time: float = 0.0
    talk_time: float = 0.0
    wrap_time: float = 0.0
    longest_wait: float = 0.0

    @property
    def service_level(self) -> float | None:
        known = (
            self.answered
            + self.abandoned
            - self.short_abandoned
            + self.timed_out
            + self.transfers
            + self.exited_empty
        )
        return self.answered_in_target / known if known else None

    @property
    def asa(self) -> float | None:
        return self.hold_time / self.answered if self.answered else None

    @property
    def aht(self) -> float | None:
        return (self.talk_time + self.wrap_time) / self.completed if self.completed else None


@dataclass(slots=True)
class AgentRow:
    agent: str
    start: datetime
    end: datetime
    calls: int = 0
    no_answers: int = 0
    logged_in_time: float = 0.0
    talk_time: float = 0.0
    wrap_time: float = 0.0
    pause_time: dict[str, float] = field(default_factory=dict)

    @property
    def paused_time(self) -> float:
        return sum(self.pause_time.values())

    @property
    def occupancy(self) -> float | None:
        working = self.logged_in_time - self.paused_time
        return (self.talk_time + self.wrap_time) / working if working > 1e-9 else None

    @property
    def empty(self) -> bool:
        return not (self.calls or self.no_answers or self.logged_in_time or self.talk_time)


@dataclass(frozen=True, slots=True)
class IntervalReport:
    bounds: Bounds
    queues: list[QueueRow]  # every configured queue x every interval, queue by queue
    agents: list[AgentRow]  # agent x interval where the agent did anything, agent by agent


@dataclass(slots=True)
class _Call:
    bucket: int | None
    entered: float
    connected_at: float | None = None


@dataclass(slots=True)
class _Agent:
    login_at: float | None = None
    paused_since: float | None = None
    pause_reason: str = ""
    talk_since: float | None = None
    wrap_since: float | None = None
    wrap_bucket: int | None = None


class _Builder:
    def __init__(self, queues: Mapping[str, QueueConfig], bounds: Bounds) -> None:
        self.configs = queues
        self.bounds = bounds
        self.rows = {
            name: [QueueRow(name, *bounds.local(i)) for i in range(len(bounds))] for name in queues
        }
        self.agent_rows: dict[str, dict[int, AgentRow]] = {}  # made when first touched
        self.calls: dict[tuple[str, str], _Call] = {}
        self.agents: dict[str, _Agent] = {}

    def row(self, queue: str, bucket: int | None) -> QueueRow | None:
        rows = self.rows.get(queue)
        return None if rows is None or bucket is None else rows[bucket]

    def arow(self, agent: str, bucket: int) -> AgentRow:
        rows = self.agent_rows.setdefault(agent, {})
        row = rows.get(bucket)
        if row is None:
            row = rows[bucket] = AgentRow(agent, *self.bounds.local(bucket))
        return row

    def spread(self, agent: str, since: float, until: float, what: str, reason: str = "") -> None:
        """Add the span ``[since, until)`` to the agent's intervals it overlaps."""
        starts = self.bounds.starts
        i = max(0, bisect.bisect_right(starts, since) - 1)
        while i < len(self.bounds) and starts[i] < until:
            part = min(until, starts[i + 1]) - max(since, starts[i])
            if part > 0:
                row = self.arow(agent, i)
                if what == "pause":
                    row.pause_time[reason] = row.pause_time.get(reason, 0.0) + part
                else:
                    setattr(row, what, getattr(row, what) + part)
            i += 1

    def call(self, r: QueueLogRecord, back: float, *, ends: bool = False) -> _Call:
        """The caller's stay in ``r.queue`` (forgotten when ``ends``); one who entered before
        the records read is placed by the wait the record tells (``back`` seconds)."""
        key = (r.call_id, r.queue)
        c = self.calls.pop(key, None) if ends else self.calls.get(key)
        if c is None:
            entered = r.time - back
            c = _Call(self.bounds.index(entered), entered)
            if not ends:
                self.calls[key] = c
        return c

    def waited(self, row: QueueRow | None, wait: float) -> None:
        if row is not None:
            row.longest_wait = max(row.longest_wait, wait)

    def queue_record(self, r: QueueLogRecord) -> None:
        ev = r.event
        config = self.configs.get(r.queue)
        if ev is E.ENTERQUEUE:
            entered = _number(r.data, 2, r.time) if len(r.data) > 2 else r.time
            c = self.calls[(r.call_id, r.queue)] = _Call(self.bounds.index(entered), entered)
            if (row := self.row(r.queue, c.bucket)) is not None:
                row.offered += 1
        elif ev is E.FULL or ev is E.JOINEMPTY:
            if (row := self.row(r.queue, self.bounds.index(r.time))) is not None:
                row.refused += 1
        elif ev is E.CONNECT:
            c = self.call(r, _number(r.data, 0))
            c.connected_at = r.time
            hold = r.time - c.entered
            if (row := self.row(r.queue, c.bucket)) is not None and config is not None:
                row.answered += 1
                row.hold_time += hold
                row.answered_in_target += hold <= config.service_level_seconds
                self.waited(row, hold)
        elif ev is E.ABANDON:
            c = self.call(r, _number(r.data, 2), ends=True)
            waited = r.time - c.entered
            if (row := self.row(r.queue, c.bucket)) is not None and config is not None:
                row.abandoned += 1
                row.short_abandoned += waited < config.short_abandon_seconds
                self.waited(row, waited)
        elif ev is E.EXITWITHKEY:  # moved to another queue by a supervisor: a transfer
            c = self.call(r, _number(r.data, 3), ends=True)
            if (row := self.row(r.queue, c.bucket)) is not None:
                row.transfers += 1
                self.waited(row, r.time - c.entered)
        elif ev is E.EXITWITHTIMEOUT or ev is E.EXITEMPTY:
            c = self.call(r, _number(r.data, 2), ends=True)
            if (row := self.row(r.queue, c.bucket)) is not None:
                if ev is E.EXITEMPTY:
                    row.exited_empty += 1
                elif r.data[3:4] == (TIMEOUT_OVERFLOW,):
                    row.transfers += 1
                else:
                    row.timed_out += 1
                self.waited(row, r.time - c.entered)
        elif ev is E.CALLBACK:
            known = self.calls.get((r.call_id, r.queue))
            bucket = known.bucket if known else self.bounds.index(r.time)
            if (row := self.row(r.queue, bucket)) is not None:
                row.callbacks += 1
        elif ev is E.COMPLETEAGENT or ev is E.COMPLETECALLER or ev is E.TRANSFER:
            skip = 2 if ev is E.TRANSFER else 0  # TRANSFER: extension, context first
            c = self.call(r, _number(r.data, skip), ends=True)
            connected = c.connected_at
            if connected is None:
                connected = r.time - _number(r.data, skip + 1)
            if (row := self.row(r.queue, c.bucket)) is not None:
                row.completed += 1
                row.talk_time += r.time - connected
            a = self.agents.get(r.agent)
            if a is not None and config is not None and config.wrap_up_seconds > 0:
                a.wrap_bucket = c.bucket
        elif ev is E.WRAPUPEND:
            a = self.agents.get(r.agent)
            if (row := self.row(r.queue, a.wrap_bucket if a else None)) is not None:
                row.wrap_time += _number(r.data, 0)

    def agent_record(self, r: QueueLogRecord) -> None:
        ev = r.event
        a = self.agents.setdefault(r.agent, _Agent())
        here = self.bounds.index(r.time)
        if ev is E.CONNECT:
            a.talk_since = r.time
            if here is not None:
                self.arow(r.agent, here).calls += 1
        elif ev is E.RINGNOANSWER:
            if here is not None:
                self.arow(r.agent, here).no_answers += 1
        elif ev is E.COMPLETEAGENT or ev is E.COMPLETECALLER or ev is E.TRANSFER:
            calltime = _number(r.data, 3 if ev is E.TRANSFER else 1)
            since = a.talk_since if a.talk_since is not None else r.time - calltime
            self.spread(r.agent, since, r.time, "talk_time")
            a.talk_since = None
            config = self.configs.get(r.queue)
            if config is not None and config.wrap_up_seconds > 0:
                a.wrap_since = r.time
        elif ev is E.WRAPUPEND:
            since = a.wrap_since if a.wrap_since is not None else r.time - _number(r.data, 0)
            self.spread(r.agent, since, r.time, "wrap_time")
            a.wrap_since = None
        elif ev is E.PAUSE:
            self.end_pause(r.agent, a, r.time)
            a.paused_since, a.pause_reason = r.time, (r.data[0] if r.data else "")
        elif ev is E.UNPAUSE:
            self.end_pause(r.agent, a, r.time)
        elif ev is E.ADDMEMBER:
            a.login_at = r.time
        elif ev is E.REMOVEMEMBER:
            self.end_pause(r.agent, a, r.time)
            if a.login_at is not None:
                self.spread(r.agent, a.login_at, r.time, "logged_in_time")
            a.login_at = None

    def end_pause(self, agent: str, a: _Agent, now: float) -> None:
        if a.paused_since is not None:
            self.spread(agent, a.paused_since, now, "pause", a.pause_reason)
        a.paused_since = None

    def close(self, now: float) -> None:
        """Count the spans and waits still open up to ``now``."""
        for agent, a in self.agents.items():
            if a.login_at is not None:
                self.spread(agent, a.login_at, now, "logged_in_time")
            self.end_pause(agent, a, now)
            if a.talk_since is not None:
                self.spread(agent, a.talk_since, now, "talk_time")
            if a.wrap_since is not None:
                self.spread(agent, a.wrap_since, now, "wrap_time")
        for (_, queue), c in self.calls.items():
            if c.connected_at is None:
                self.waited(self.row(queue, c.bucket), max(0.0, now - c.entered))


def interval_report(
    records: Iterable[QueueLogRecord],
    queues: Mapping[str, QueueConfig],
    bounds: Bounds,
    now: float,
) -> IntervalReport:
    """Rebuild the interval rows from ``records`` (in the order written; include some hours
    before and after the range so calls and sessions crossing its edges are whole)."""
    b = _Builder(queues, bounds)
    for r in records:
        if r.event in _AGENT_EVENTS and r.agent != NONE:
            b.agent_record(r)
        if r.call_id != NONE or r.event is E.WRAPUPEND:
            b.queue_record(r)
    b.close(min(now, bounds.starts[-1]))
    queue_rows = [row for name in sorted(queues) for row in b.rows[name]]
    agent_rows = [
        rows[i] for name, rows in sorted(b.agent_rows.items()) for i in sorted(rows)
        if not rows[i].empty
    ]  # fmt: skip
    return IntervalReport(bounds, queue_rows, agent_rows)


def pause_reasons(rows: Sequence[AgentRow]) -> list[str]:
    """Every pause reason in ``rows``, sorted (the columns of an export)."""
    return sorted({reason for row in rows for reason in row.pause_time})


def _number(data: tuple[str, ...], index: int, default: float = 0.0) -> float:
    try:
        return float(data[index])
    except (IndexError, ValueError):
        return default


_AGENT_EVENTS = frozenset(
    {
        E.CONNECT,
        E.RINGNOANSWER,
        E.COMPLETEAGENT,
        E.COMPLETECALLER,
        E.TRANSFER,
        E.WRAPUPEND,
        E.PAUSE,
        E.UNPAUSE,
        E.ADDMEMBER,
        E.REMOVEMEMBER,
    }
)

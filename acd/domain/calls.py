"""Calls waiting in (or answered from) a queue, and the per-queue waiting line."""

from __future__ import annotations

from bisect import bisect_left, insort
from dataclasses import dataclass
from enum import StrEnum


class CallState(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"  # an agent is reserved / ringing for it
    CONNECTED = "connected"


@dataclass(slots=True, eq=False)
class Call:
    """A caller in a queue. ``entered_at`` is its place: it never changes on ring-no-answer."""

    call_id: str
    queue: str
    priority: int
    entered_at: float
    first_joined_at: float
    seq: int
    orig_position: int = 0
    state: CallState = CallState.WAITING
    agent_id: str | None = None
    offered_at: float = 0.0
    answered_at: float = 0.0
    callback: bool = False
    callback_offered: bool = False
    timer_version: int = 0
    visited: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[float, int]:
        return (self.entered_at, self.seq)


Entry = tuple[float, int, Call]


class WaitingLine:
    """Calls of one queue that wait for an agent: FIFO per priority, highest priority first.

    Each priority level is a list sorted by ``(entered_at, seq)``: the head is the longest
    waiting caller of that level; insert and remove are a bisection plus a memmove.
    """

    __slots__ = ("count", "levels", "priorities")

    def __init__(self) -> None:
        self.levels: dict[int, list[Entry]] = {}
        self.priorities: list[int] = []  # descending
        self.count = 0

    def add(self, call: Call) -> None:
        level = self.levels.get(call.priority)
        if level is None:
            level = self.levels[call.priority] = []
            self.priorities.append(call.priority)
            self.priorities.sort(reverse=True)
        insort(level, (call.entered_at, call.seq, call))
        self.count += 1

    def remove(self, call: Call) -> None:
        level = self.levels[call.priority]
        i = bisect_left(level, (call.entered_at, call.seq), key=_key)
        if i >= len(level) or level[i][2] is not call:
            raise KeyError(call.call_id)
        del level[i]
        self.count -= 1
        if not level:
            del self.levels[call.priority]
            self.priorities.remove(call.priority)

    def position(self, call: Call) -> int:
        """1-based place of ``call``: callers of higher priority and earlier callers go first."""
        ahead = 0
        for priority in self.priorities:
            level = self.levels[priority]
            if priority > call.priority:
                ahead += len(level)
            elif priority == call.priority:
                ahead += bisect_left(level, (call.entered_at, call.seq), key=_key)
        return ahead + 1

    def oldest_entry(self) -> float | None:
        return min((level[0][0] for level in self.levels.values()), default=None)

    def calls(self) -> list[Call]:
        """All waiting calls in service order."""
        return [entry[2] for p in self.priorities for entry in self.levels[p]]


def _key(entry: Entry) -> tuple[float, int]:
    return (entry[0], entry[1])

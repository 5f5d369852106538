"""queue_log-style records: one per step, plain data for the database and for rebuilding stats.

Close to Asterisk's queue_log (``time|callid|queue|agent|event|data1|data2|...``). Events beyond
Asterisk's: FULL and JOINEMPTY (caller refused), WRAPUPEND (after-call work finished),
CALLBACK (caller accepted a callback and keeps his place), HANDOVER (another engine took the
call over; its records continue in that engine's log) and PRIORITY (a supervisor moved a waiting
caller to the front: Asterisk's QueueChangePriorityCaller writes no record).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

NONE = "NONE"


class QueueEvent(StrEnum):
    ENTERQUEUE = "ENTERQUEUE"  # data: priority, position, entered at (earlier when restored)
    CONNECT = "CONNECT"  # data: holdtime, ringtime
    RINGNOANSWER = "RINGNOANSWER"  # data: ringtime
    RINGCANCELED = "RINGCANCELED"  # data: ringtime
    ABANDON = "ABANDON"  # data: position, origposition, waittime
    COMPLETEAGENT = "COMPLETEAGENT"  # data: holdtime, calltime, origposition
    COMPLETECALLER = "COMPLETECALLER"  # data: holdtime, calltime, origposition
    TRANSFER = "TRANSFER"  # data: extension, context, holdtime, calltime, origposition
    EXITWITHTIMEOUT = "EXITWITHTIMEOUT"  # data: position, origposition, waittime, reason
    EXITEMPTY = "EXITEMPTY"  # data: position, origposition, waittime
    EXITWITHKEY = "EXITWITHKEY"  # data: key, position, origposition, waittime (moved: key "move")
    FULL = "FULL"
    JOINEMPTY = "JOINEMPTY"
    CALLBACK = "CALLBACK"  # data: position
    WRAPUPEND = "WRAPUPEND"  # data: wrap-up seconds
    HANDOVER = "HANDOVER"  # another engine took the call over (it adopted this one's share)
    #: a supervisor changed a waiting caller's priority (Asterisk logs nothing for it); data:
    #: key (``front``), position before, origposition, waittime, old priority, new priority
    PRIORITY = "PRIORITY"
    PAUSE = "PAUSE"  # data: reason
    UNPAUSE = "UNPAUSE"  # data: reason of the pause that ended
    ADDMEMBER = "ADDMEMBER"  # agent logged in; data: skills "name:level,..."
    REMOVEMEMBER = "REMOVEMEMBER"  # agent logged out


TIMEOUT_MAX_WAIT = "max_wait"
TIMEOUT_OVERFLOW = "overflow"
MOVED = "move"  # the key of EXITWITHKEY when a supervisor moved the caller to another queue
FRONT = "front"  # the key of PRIORITY when a supervisor moved the caller to the front


@dataclass(frozen=True, slots=True)
class QueueLogRecord:
    time: float
    call_id: str
    queue: str
    agent: str
    event: QueueEvent
    data: tuple[str, ...] = ()

    def to_line(self) -> str:
        """``time|callid|queue|agent|event|data...`` as Asterisk writes it (time exact)."""
        return "|".join(
            [repr(self.time), self.call_id, self.queue, self.agent, self.event, *self.data]
        )

    @classmethod
    def from_line(cls, line: str) -> QueueLogRecord:
        """Parse :meth:`to_line` output; raise ValueError naming what is wrong."""
        parts = line.rstrip("\n").split("|")
        if len(parts) < 5:
            raise ValueError(f"queue_log line needs at least 5 fields, got {len(parts)}: {line!r}")
        try:
            time = float(parts[0])
            event = QueueEvent(parts[4])
        except ValueError as exc:
            raise ValueError(f"bad queue_log line {line!r}: {exc}") from None
        return cls(time, parts[1], parts[2], parts[3], event, tuple(parts[5:]))


def secs(value: float) -> str:
    """Durations in data fields: milliseconds precision, human readable."""
    return f"{value:.3f}"

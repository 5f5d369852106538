"""Declared overload: past capacity, new callers wait in the dialplan's hold, not in the ACD.

Capacity is crossed when a caller's routing waited longer than ``max_backlog`` seconds in the
ACD's backlog (records and routings not yet handled), or when the ACD already holds
``max_calls`` calls (0: no limit). From then on every new caller is *kept*: he stays on the
music on hold of ``[inbound-hold]`` (where the dialplan put him, ``ROUTE`` set), is logged
``acd_overload_caller_kept`` and counted, and the ACD does no work for him. The overload ends
when the backlog is down to half of ``max_backlog`` and the calls below ``max_calls``; the
kept callers still there are then queued in their order with their routing time as join time
(a kept caller who hangs up counts as an abandon, like any routed caller). Pure: time passed in.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Overload:
    """The overload state of one ACD."""

    max_backlog: float = 5.0
    max_calls: int = 0
    active: bool = False
    since: float = 0.0
    #: callers kept since the start, overloads declared since the start
    kept_total: int = 0
    episodes: int = 0

    def over(self, backlog: float, calls: int) -> bool:
        """Past capacity: a routing waited too long, or too many calls are held."""
        return backlog > self.max_backlog or (0 < self.max_calls <= calls)

    def level(self, backlog: float, calls: int) -> bool:
        """Back under capacity, with a margin on the backlog."""
        return backlog <= self.max_backlog / 2 and not (0 < self.max_calls <= calls)

    def admit(self, backlog: float, calls: int, now: float) -> bool:
        """A caller routed after waiting ``backlog`` s with ``calls`` held: queue him (True)
        or keep him on hold (False, counted). Once declared, the overload keeps every new
        caller until :meth:`end` (older kept callers go first)."""
        if not self.active and self.over(backlog, calls):
            self.active, self.since = True, now
            self.episodes += 1
        if self.active:
            self.kept_total += 1
            return False
        return True

    def end(self, backlog: float, calls: int) -> bool:
        """True when an active overload ends now (the caller then queues the kept callers)."""
        if self.active and self.level(backlog, calls):
            self.active = False
            return True
        return False

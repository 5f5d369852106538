"""The abandon rate a dialer must keep under its cap, over the law's window.

Rate = (abandoned + estimated AMD false positives) / (live answered + estimated false
positives), where live answered counts every person who answered (connected or abandoned).
The estimate of false positives (people taken for machines and hung up on) is every machine
verdict with cause ``INITIALSILENCE`` (a person who answers and says nothing; Asterisk's
``AMD()`` defaults call them machines) plus a configured share of the other machine verdicts.

Windows are fixed, as the rules define them: the calendar day in the campaign's zone
(Ofcom: midnight to midnight) or successive periods from the campaign's start (FTC TSR:
each 30-day period). Within a window both counts only grow, so keeping the running rate
under the cap after every call keeps it under the cap at every moment; :meth:`headroom` is
how many more abandons fit now.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class AbandonWindow:
    """``calendar_day`` in ``zone``, or ``period`` of ``days`` from ``anchor``."""

    kind: str = "calendar_day"
    zone: str = "UTC"
    days: int = 30
    anchor: datetime | None = None

    def start(self, at: datetime) -> datetime:
        """Start of the window holding ``at``."""
        if self.kind == "calendar_day":
            local = at.astimezone(ZoneInfo(self.zone))
            return local.replace(hour=0, minute=0, second=0, microsecond=0)
        anchor = self.anchor or at
        length = timedelta(days=self.days)
        return anchor + length * math.floor((at - anchor) / length)


@dataclass
class AbandonLedger:
    """Running counts of the current window (pure; events are fed with their times)."""

    window: AbandonWindow
    cap: float = 0.03
    amd_false_positive_share: float = 0.0
    window_start: datetime | None = None
    live: int = 0
    abandoned: int = 0
    silent_machines: int = 0
    other_machines: int = 0

    def _roll(self, at: datetime) -> None:
        start = self.window.start(at)
        if start != self.window_start:
            self.window_start = start
            self.live = self.abandoned = self.silent_machines = self.other_machines = 0

    def record_live(self, at: datetime, abandoned: bool) -> None:
        """A person answered; ``abandoned`` when no agent was connected in time."""
        self._roll(at)
        self.live += 1
        self.abandoned += int(abandoned)

    def record_machine(self, at: datetime, cause: str = "") -> None:
        """AMD said MACHINE (``cause`` as Asterisk gives it, e.g. ``INITIALSILENCE-2500-2500``)."""
        self._roll(at)
        if cause.upper().startswith("INITIALSILENCE"):
            self.silent_machines += 1
        else:
            self.other_machines += 1

    @property
    def false_positives(self) -> float:
        """Estimated people among the machine verdicts."""
        return self.silent_machines + self.amd_false_positive_share * self.other_machines

    def rate(self, at: datetime | None = None) -> float:
        """The window's abandon rate (0 with no live call)."""
        if at is not None:
            self._roll(at)
        fp = self.false_positives
        live = self.live + fp
        return 0.0 if live == 0 else (self.abandoned + fp) / live

    def headroom(self, at: datetime | None = None) -> float:
        """How many more abandons keep the rate within the cap right now (may be < 1)."""
        if at is not None:
            self._roll(at)
        fp = self.false_positives
        return max(0.0, (self.cap * (self.live + fp) - self.abandoned - fp) / (1 - self.cap))

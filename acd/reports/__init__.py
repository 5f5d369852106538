"""Reports rebuilt from the stored queue log: interval rows, their exports, staffing plans."""

from acd.reports.intervals import (
    AgentRow,
    Bounds,
    Interval,
    IntervalReport,
    QueueRow,
    interval_bounds,
    interval_report,
    pause_reasons,
)

__all__ = [
    "AgentRow",
    "Bounds",
    "Interval",
    "IntervalReport",
    "QueueRow",
    "interval_bounds",
    "interval_report",
    "pause_reasons",
]

"""Staffing plan on the Erlang C core: forecast calls per interval -> agents needed.

Pure. For each interval: traffic = calls x AHT / interval length; ``agents`` = the fewest on the
phones that answer ``sl_target`` of calls within ``sl_seconds`` (Erlang C); ``scheduled`` =
``agents`` grossed up for shrinkage (breaks, training, absence). An interval without calls needs
nobody.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from acd.domain.erlang import agents_for_service_level, with_shrinkage

#: more Erlangs than any one site plans for; beyond it the search would take seconds
MAX_TRAFFIC = 5000.0


@dataclass(frozen=True, slots=True)
class Forecast:
    start: str  # as the planner wrote it (a local time), echoed back
    calls: float
    aht: float  # seconds


@dataclass(frozen=True, slots=True)
class StaffingRow:
    start: str
    calls: float
    aht: float
    traffic: float  # Erlangs
    agents: int  # on the phones
    scheduled: int  # after shrinkage
    service_level: float
    occupancy: float
    probability_wait: float
    asa: float  # seconds


def staffing_plan(
    forecast: Sequence[Forecast],
    interval_seconds: float,
    sl_target: float,
    sl_seconds: float,
    shrinkage: float = 0.0,
    max_occupancy: float = 1.0,
) -> list[StaffingRow]:
    """One row per forecast interval (ValueError for impossible targets or figures)."""
    rows = []
    for f in forecast:
        if f.calls == 0:
            rows.append(StaffingRow(f.start, 0, f.aht, 0.0, 0, 0, 1.0, 0.0, 0.0, 0.0))
            continue
        if f.calls * f.aht / interval_seconds > MAX_TRAFFIC:
            raise ValueError(f"{f.start}: more than {MAX_TRAFFIC:g} Erlangs of traffic")
        s = agents_for_service_level(
            f.calls, interval_seconds, f.aht, sl_target, sl_seconds, max_occupancy
        )
        rows.append(
            StaffingRow(
                start=f.start,
                calls=f.calls,
                aht=f.aht,
                traffic=s.traffic,
                agents=s.agents,
                scheduled=with_shrinkage(s.agents, shrinkage),
                service_level=s.service_level,
                occupancy=s.occupancy,
                probability_wait=s.probability_wait,
                asa=s.asa,
            )
        )
    return rows

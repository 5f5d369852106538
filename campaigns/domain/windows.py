"""Calling windows in the lead's local time: hours per weekday and public holidays.

A phone may carry several zones (DDD 81: Noronha and Recife; UK numbers: London and the
islands); a call is allowed only when it is inside the window in every one of them. Holidays
come from the ``holidays`` package per country and state (``BR``/``SP``), computed, not fetched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

Hours = tuple[time, time]


@lru_cache(maxsize=256)
def _holidays(country: str, subdiv: str | None, year: int) -> frozenset[date]:
    try:
        calendar = holidays.country_holidays(country, subdiv=subdiv, years=year)
    except NotImplementedError:  # unknown state: the country's holidays still apply
        calendar = holidays.country_holidays(country, years=year)
    return frozenset(calendar.keys())


def is_holiday(day: date, country: str, subdiv: str | None = None) -> bool:
    """True on a public holiday of ``country`` (and of its state ``subdiv`` when given)."""
    return day in _holidays(country, subdiv or None, day.year)


@dataclass(frozen=True)
class CallingWindow:
    """Hours per weekday (0 = Monday; a missing day is closed) and whether holidays close."""

    hours: Mapping[int, Hours]
    holiday_country: str | None = None
    closed_on_holidays: bool = True
    subdivisions: Mapping[str, str] = field(default_factory=dict)
    """Zone -> state used for holidays when the lead has no state (``America/Manaus``: AM)."""
    state: str | None = None
    """The state whose holidays apply when neither the lead nor its zone names one."""

    def hours_on(self, day: date, subdiv: str | None) -> Hours | None:
        """The open hours of a local date, ``None`` when closed."""
        if (
            self.closed_on_holidays
            and self.holiday_country
            and is_holiday(day, self.holiday_country, subdiv)
        ):
            return None
        return self.hours.get(day.weekday())

    def _state(self, zone: str, subdiv: str | None) -> str | None:
        return subdiv or self.subdivisions.get(zone) or self.state

    def allows(self, at: datetime, zones: Sequence[str], subdiv: str | None = None) -> bool:
        """May a phone in ``zones`` be called at ``at`` (aware)? Unknown zone: never."""
        if not zones:
            return False
        for zone in zones:
            local = at.astimezone(ZoneInfo(zone))
            hours = self.hours_on(local.date(), self._state(zone, subdiv))
            if hours is None or not hours[0] <= local.time().replace(tzinfo=None) < hours[1]:
                return False
        return True

    def next_open(
        self, at: datetime, zones: Sequence[str], subdiv: str | None = None, days: int = 14
    ) -> datetime | None:
        """The first moment at or after ``at`` when the phone may be called (``None`` when
        not within ``days``)."""
        if not zones:
            return None
        spans = [self._spans(at, zone, subdiv, days) for zone in zones]
        common = spans[0]
        for other in spans[1:]:
            common = _intersect(common, other)
        for start, end in common:
            if end > at:
                return max(start, at)
        return None

    def _spans(
        self, at: datetime, zone: str, subdiv: str | None, days: int
    ) -> list[tuple[datetime, datetime]]:
        tz = ZoneInfo(zone)
        first = at.astimezone(tz).date() - timedelta(days=1)
        out = []
        for offset in range(days + 2):
            day = first + timedelta(days=offset)
            hours = self.hours_on(day, self._state(zone, subdiv))
            if hours is not None:
                start = datetime.combine(day, hours[0], tz)
                end = datetime.combine(day, hours[1], tz)
                out.append((start, end))
        return out


def _intersect(
    a: list[tuple[datetime, datetime]], b: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    out = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def weekly(
    weekdays: Hours, saturday: Hours | None = None, sunday: Hours | None = None
) -> dict[int, Hours]:
    """Hours Monday to Friday, and optionally Saturday and Sunday."""
    hours = dict.fromkeys(range(5), weekdays)
    if saturday:
        hours[5] = saturday
    if sunday:
        hours[6] = sunday
    return hours

"""Compliance profiles: the defaults a campaign takes from its country's rules.

- US (FCC TCPA, FTC TSR): 08:00-21:00 local time; abandoned at most 3% of live answered calls
  per 30-day period of the campaign; the message within 2 s; ring at least 15 s.
- UK (Ofcom): at most 3% per campaign per calendar day, AMD false positives estimated and
  added; the message within 2 s; no repeat call within 72 h of an abandoned call. Ofcom sets no
  hours: the default is 08:00-21:00 Monday to Saturday, closed Sunday and bank holidays.
- BR: telemarketing hours of the self-regulation and Procon rules (09:00-21:00 weekdays,
  10:00-16:00 Saturday, never Sunday or holidays, national and state), local time per DDD;
  Anatel's 0303 prefix for telemarketing and the short-call cap (100,000 a day per number).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from campaigns.domain.abandon import AbandonLedger, AbandonWindow
from campaigns.domain.retry import RetryPolicy
from campaigns.domain.windows import CallingWindow, weekly


@dataclass(frozen=True)
class ComplianceProfile:
    """Everything a campaign must keep, as defaults it may tighten."""

    country: str
    window: CallingWindow
    abandon_cap: float
    abandon_window: str  # calendar_day | period
    abandon_period_days: int
    connect_within_seconds: float
    ring_at_least_seconds: float
    amd_false_positive_share: float
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    requires_0303: bool = False
    short_call_seconds: float = 6.0
    short_call_cap: int = 100_000
    short_call_warning: float = 0.8
    zone: str = "UTC"

    def abandon_ledger(self, campaign_start: datetime) -> AbandonLedger:
        """The ledger of a campaign under this profile (window, cap, false-positive share)."""
        window = AbandonWindow(
            self.abandon_window, self.zone, self.abandon_period_days, campaign_start
        )
        return AbandonLedger(window, self.abandon_cap, self.amd_false_positive_share)


US = ComplianceProfile(
    country="US",
    window=CallingWindow(
        weekly((time(8), time(21)), (time(8), time(21)), (time(8), time(21))),
        holiday_country=None,
        closed_on_holidays=False,
    ),
    abandon_cap=0.03,
    abandon_window="period",
    abandon_period_days=30,
    connect_within_seconds=2.0,
    ring_at_least_seconds=15.0,
    amd_false_positive_share=0.0,
    zone="America/New_York",
)

UK = ComplianceProfile(
    country="UK",
    window=CallingWindow(weekly((time(8), time(21)), (time(8), time(21))), holiday_country="GB"),
    abandon_cap=0.03,
    abandon_window="calendar_day",
    abandon_period_days=1,
    connect_within_seconds=2.0,
    ring_at_least_seconds=15.0,
    amd_false_positive_share=0.05,
    retry=RetryPolicy(redial_after_abandon=timedelta(hours=72)),
    zone="Europe/London",
)

BR = ComplianceProfile(
    country="BR",
    window=CallingWindow(weekly((time(9), time(21)), (time(10), time(16))), holiday_country="BR"),
    abandon_cap=0.03,
    abandon_window="calendar_day",
    abandon_period_days=1,
    connect_within_seconds=2.0,
    ring_at_least_seconds=15.0,
    amd_false_positive_share=0.05,
    requires_0303=True,
    zone="America/Sao_Paulo",
)

PROFILES = {"US": US, "UK": UK, "BR": BR}

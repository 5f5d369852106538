"""Brazil's Anatel rules for active telemarketing: the 0303 presented number, and the cap on
short calls (ending within 6 s of the answer) per day and per presented number.

Operators block for 15 days a caller that places 100,000 or more such calls a day; the dialer
counts them per local day and presented number, warns at 80% and stops using the number at
the cap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from campaigns.domain.errors import CampaignError

TELEMARKETING_TYPES = frozenset({"telemarketing", "televendas"})
_0303 = re.compile(r"0303\d{7,8}")


def check_presented_number(country: str, campaign_type: str, caller_id: str) -> str:
    """The digits of the presented number; a Brazilian telemarketing campaign must present a
    0303 number (``caller_id_not_0303`` otherwise)."""
    digits = re.sub(r"\D", "", caller_id)
    if country == "BR" and campaign_type in TELEMARKETING_TYPES and not _0303.fullmatch(digits):
        raise CampaignError(
            "caller_id_not_0303",
            f"a {campaign_type} campaign in Brazil must present a 0303 number, not {caller_id!r}",
        )
    return digits


@dataclass(frozen=True)
class ShortCallStatus:
    """Short calls of one presented number today against the cap."""

    count: int
    cap: int
    warning: bool
    blocked: bool


@dataclass
class ShortCallCounter:
    """Calls ended within ``seconds`` of the answer, per local day and presented number."""

    cap: int = 100_000
    warning_share: float = 0.8
    seconds: float = 6.0
    zone: str = "America/Sao_Paulo"
    counts: dict[tuple[date, str], int] = field(default_factory=dict)

    def _day(self, at: datetime) -> date:
        return at.astimezone(ZoneInfo(self.zone)).date()

    def record(self, presented: str, answered_at: datetime, ended_at: datetime) -> bool:
        """Count the call when it was short; True when it was."""
        if (ended_at - answered_at).total_seconds() >= self.seconds:
            return False
        day = self._day(answered_at)
        for old in [k for k in self.counts if k[0] < day]:
            del self.counts[old]
        key = (day, presented)
        self.counts[key] = self.counts.get(key, 0) + 1
        return True

    def status(self, presented: str, at: datetime) -> ShortCallStatus:
        """Today's count for ``presented``, the warning (>= 80%) and the block (>= cap)."""
        count = self.counts.get((self._day(at), presented), 0)
        return ShortCallStatus(
            count, self.cap, count >= self.warning_share * self.cap, count >= self.cap
        )

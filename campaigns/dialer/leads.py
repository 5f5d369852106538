"""Which lead to dial next, and what an attempt's result means for the lead (pure).

A lead is dialable when it is not final, not being dialled, its retry time has come, the
72 h guard after an abandoned call has passed, and one of its phones is inside the calling
window (every zone of that phone, in the lead's state for holidays). Leads are taken in
their order (list order, retries by due time).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from campaigns.domain.retry import Result, RetryDecision, RetryPolicy, after_attempt, may_redial
from campaigns.domain.windows import CallingWindow


@dataclass(frozen=True)
class LeadPhone:
    """One phone of a lead: E.164 and its zones."""

    number: str
    zones: tuple[str, ...]


@dataclass
class DialLead:
    """A lead as the dialer tracks it."""

    lead_id: int
    phones: tuple[LeadPhone, ...]
    state: str = ""
    name: str = ""
    customer_id: str = ""
    attempts: Counter[Result] = field(default_factory=Counter)
    not_before: datetime | None = None
    last_abandoned_at: datetime | None = None
    final: bool = False
    reason: str = "new"
    next_phone: int = 0
    in_flight: bool = False

    @property
    def status(self) -> str:
        """``new``, ``dialling``, ``retry`` or ``final``."""
        if self.final:
            return "final"
        if self.in_flight:
            return "dialling"
        return "retry" if sum(self.attempts.values()) else "new"


class LeadBook:
    """The campaign's leads: the next ones to dial and the results of attempts."""

    def __init__(self, leads: Iterable[DialLead], window: CallingWindow, policy: RetryPolicy):
        self.leads = {lead.lead_id: lead for lead in leads}
        self.window = window
        self.policy = policy

    def dialable(self, lead: DialLead, at: datetime) -> LeadPhone | None:
        """The phone to dial now, or None when the lead may not be dialled at ``at``."""
        if lead.final or lead.in_flight or not lead.phones:
            return None
        if lead.not_before is not None and at < lead.not_before:
            return None
        if not may_redial(self.policy, at, lead.last_abandoned_at):
            return None
        count = len(lead.phones)
        for step in range(count):
            phone = lead.phones[(lead.next_phone + step) % count]
            if self.window.allows(at, phone.zones, lead.state or None):
                return phone
        return None

    def take(
        self, at: datetime, count: int, exclude: Collection[int] = ()
    ) -> list[tuple[DialLead, LeadPhone]]:
        """Up to ``count`` dialable leads (marked in flight), fresh ones in order first,
        then retries by due time; none of ``exclude``."""
        out: list[tuple[DialLead, LeadPhone]] = []
        for lead in self._in_order():
            if len(out) >= count:
                break
            if lead.lead_id in exclude:
                continue
            phone = self.dialable(lead, at)
            if phone is not None:
                lead.in_flight = True
                out.append((lead, phone))
        return out

    def _in_order(self) -> Iterator[DialLead]:
        fresh = [lead for lead in self.leads.values() if not lead.final and not lead.attempts]
        again = [lead for lead in self.leads.values() if not lead.final and lead.attempts]
        yield from sorted(fresh, key=lambda lead: lead.lead_id)
        yield from sorted(again, key=lambda lead: (lead.not_before or datetime.min, lead.lead_id))

    def result(self, lead_id: int, result: Result, at: datetime) -> RetryDecision:
        """Apply an attempt's result: final, or retry no earlier than ``not_before``."""
        lead = self.leads[lead_id]
        lead.in_flight = False
        lead.attempts[result] += 1
        if result is Result.ABANDONED:
            lead.last_abandoned_at = at
        if result in (Result.BUSY, Result.NO_ANSWER, Result.FAILED) and len(lead.phones) > 1:
            lead.next_phone = (lead.next_phone + 1) % len(lead.phones)
        decision = after_attempt(self.policy, result, at, lead.attempts, lead.last_abandoned_at)
        lead.final, lead.reason = decision.final, decision.reason
        lead.not_before = decision.not_before
        return decision

    def release(self, lead_id: int) -> None:
        """A lead taken but not dialled (the campaign paused): back in line unchanged."""
        self.leads[lead_id].in_flight = False

    def remaining(self) -> int:
        """Leads not final."""
        return sum(1 for lead in self.leads.values() if not lead.final)

    def next_due(self, at: datetime) -> datetime | None:
        """The earliest retry time after ``at`` among waiting leads (None when none)."""
        times = [
            lead.not_before
            for lead in self.leads.values()
            if not lead.final and not lead.in_flight and lead.not_before and lead.not_before > at
        ]
        return min(times) if times else None

"""``DialingPlan``: what the dialer needs of a campaign, and ``dialing_plan(campaign)``.

The stored campaign (``campaigns.domain.campaign.Campaign``) is read by field name only, so
the dialer runs any object with those fields (see :class:`CampaignFields`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, Protocol

from campaigns.domain.anatel import check_presented_number
from campaigns.domain.profiles import PROFILES, ComplianceProfile
from campaigns.domain.retry import DEFAULT_RULES, Result, RetryPolicy, RetryRule
from campaigns.domain.windows import CallingWindow

MODES = ("preview", "progressive", "predictive")
MACHINE_TREATMENTS = ("message", "hangup")


@dataclass(frozen=True)
class DialingPlan:
    """One campaign as the dialer runs it."""

    campaign_id: str
    kind: str  # telemarketing | televendas | telecobranca
    queue: str
    mode: str = "progressive"
    ratio: float = 1.0
    profile: ComplianceProfile = PROFILES["BR"]
    max_abandon_rate: float = 0.03
    abandon_window: str = "day"  # day | 30d
    caller_id: str = ""
    lists: tuple[str, ...] = ()
    window: CallingWindow | None = None  # None: the profile's
    retry: RetryPolicy | None = None  # None: the profile's
    machine_treatment: str = "message"
    ring_seconds: float = 26.0
    priority: int = 0
    """Blending with inbound: the ACD's priority of the campaign's answered people."""
    safety: float = 0.9
    """Share of the legal cap the pacer aims under (a 3% cap is paced at 2.7%)."""
    silence_is_person: bool = True
    """A silent answer (AMD ``INITIALSILENCE``) goes to an agent, as the dialplan does."""

    @property
    def calling_window(self) -> CallingWindow:
        """The campaign's window, else its profile's."""
        return self.window or self.profile.window

    @property
    def retry_policy(self) -> RetryPolicy:
        """The campaign's retry rules, else its profile's."""
        return self.retry or self.profile.retry

    @property
    def ring_timeout(self) -> float:
        """Seconds a number rings: at least the profile's minimum (15 s in US/UK/BR)."""
        return max(self.ring_seconds, self.profile.ring_at_least_seconds)

    @property
    def presented_number(self) -> str:
        """The caller id's digits (0303 checked for Brazilian telemarketing)."""
        return check_presented_number(self.profile.country, self.kind, self.caller_id)


class CampaignFields(Protocol):
    """The fields of the stored campaign the dialer reads."""

    @property
    def id(self) -> Any: ...
    @property
    def kind(self) -> str: ...
    @property
    def queue(self) -> str: ...
    @property
    def mode(self) -> str: ...
    @property
    def ratio(self) -> float: ...
    @property
    def max_abandon_rate(self) -> float: ...
    @property
    def abandon_window(self) -> str: ...
    @property
    def compliance_profile(self) -> str: ...
    @property
    def caller_id(self) -> str: ...


def _retry(rules: Any, base: RetryPolicy) -> RetryPolicy:
    """Retry rules given as ``{result: {cool_down_minutes|cool_down, max_attempts}}``."""
    if not isinstance(rules, Mapping) or not rules:
        return base
    out: dict[Result, RetryRule] = dict(DEFAULT_RULES)
    for name, rule in rules.items():
        result = Result(str(name))
        if isinstance(rule, RetryRule):
            out[result] = rule
            continue
        minutes = rule.get("cool_down_minutes") if isinstance(rule, Mapping) else None
        cool = timedelta(minutes=float(minutes)) if minutes is not None else out[result].cool_down
        attempts = int(rule.get("max_attempts", out[result].max_attempts))
        out[result] = RetryRule(cool, attempts)
    return replace(base, rules=out)


def dialing_plan(campaign: CampaignFields) -> DialingPlan:
    """The plan of a stored campaign (optional fields: ``list_ids``, ``retry_rules``,
    ``calling_hours`` as a :class:`CallingWindow`, ``machine_treatment``, ``priority``)."""
    profile = PROFILES[str(campaign.compliance_profile).upper()]
    window = getattr(campaign, "calling_hours", None)
    lists: Sequence[Any] = getattr(campaign, "list_ids", ()) or ()
    return DialingPlan(
        campaign_id=str(campaign.id),
        kind=campaign.kind,
        queue=campaign.queue,
        mode=campaign.mode,
        ratio=float(campaign.ratio or 1.0),
        profile=profile,
        max_abandon_rate=min(float(campaign.max_abandon_rate), profile.abandon_cap),
        abandon_window=campaign.abandon_window,
        caller_id=campaign.caller_id,
        lists=tuple(str(x) for x in lists),
        window=window if isinstance(window, CallingWindow) else None,
        retry=_retry(getattr(campaign, "retry_rules", None), profile.retry),
        machine_treatment=getattr(campaign, "machine_treatment", "message") or "message",
        priority=int(getattr(campaign, "priority", 0) or 0),
    )

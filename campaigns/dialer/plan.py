"""``DialingPlan``: what the dialer needs of a campaign; ``dialing_plan(campaign)`` builds it
from the stored ``Campaign``, ``StoredPlans`` reads it from the ``CampaignStore``."""

from __future__ import annotations

from dataclasses import dataclass

from campaigns.domain.anatel import check_presented_number
from campaigns.domain.campaign import Campaign
from campaigns.domain.errors import CampaignError
from campaigns.domain.profiles import PROFILES, ComplianceProfile
from campaigns.domain.retry import RetryPolicy
from campaigns.domain.windows import CallingWindow
from campaigns.port import CampaignStore


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


def dialing_plan(campaign: Campaign) -> DialingPlan:
    """The plan of a stored campaign: its profile, lists, calling window (hours, the
    country's and state's holidays) and retry rules (72 h after an abandon)."""
    profile = campaign.compliance()
    return DialingPlan(
        campaign_id=str(campaign.id),
        kind=campaign.kind,
        queue=campaign.queue,
        mode=campaign.mode,
        ratio=campaign.ratio,
        profile=profile,
        max_abandon_rate=min(campaign.max_abandon_rate, profile.abandon_cap),
        abandon_window=campaign.abandon_window,
        caller_id=campaign.caller_id,
        lists=tuple(str(x) for x in campaign.list_ids),
        window=campaign.window(),
        retry=campaign.retry_policy(),
    )


class StoredPlans:
    """The dialer's plans read from the stored campaigns (``CampaignStore``)."""

    def __init__(self, store: CampaignStore) -> None:
        self.store = store

    async def plan(self, campaign_id: str) -> DialingPlan:
        """The stored campaign's plan; ``campaign_not_found`` when there is none."""
        campaign = await self.store.get(int(campaign_id)) if campaign_id.isdigit() else None
        if campaign is None:
            raise CampaignError("campaign_not_found", f"no campaign {campaign_id!r}")
        return dialing_plan(campaign)

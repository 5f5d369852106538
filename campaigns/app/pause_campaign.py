"""Use case: pause a running campaign: no new calls; calls in progress end normally."""

from __future__ import annotations

from datetime import datetime

from campaigns.app.change_status import change_status
from campaigns.domain.campaign import Campaign
from campaigns.port import AuditTrail, CampaignStore, DialerControl


async def pause_campaign(
    store: CampaignStore,
    audit: AuditTrail,
    dialer: DialerControl | None,
    campaign_id: int,
    actor: str,
    now: datetime,
) -> Campaign:
    """Pause a running campaign: no new calls; calls in progress end normally. Audited."""
    return await change_status(store, audit, dialer, campaign_id, "pause", actor, now)

"""Use case: stop a campaign for good (from draft, running or paused)."""

from __future__ import annotations

from datetime import datetime

from campaigns.app.change_status import change_status
from campaigns.domain.campaign import Campaign
from campaigns.port import AuditTrail, CampaignStore, DialerControl


async def stop_campaign(
    store: CampaignStore,
    audit: AuditTrail,
    dialer: DialerControl | None,
    campaign_id: int,
    actor: str,
    now: datetime,
) -> Campaign:
    """Stop a campaign for good (from draft, running or paused). Audited."""
    return await change_status(store, audit, dialer, campaign_id, "stop", actor, now)

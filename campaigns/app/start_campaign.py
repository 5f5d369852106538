"""Use case: start (or resume) a draft or paused campaign; it must have lists and keep
every rule."""

from __future__ import annotations

from datetime import datetime

from campaigns.app.change_status import change_status
from campaigns.domain.campaign import Campaign
from campaigns.port import AuditTrail, CampaignStore, DialerControl


async def start_campaign(
    store: CampaignStore,
    audit: AuditTrail,
    dialer: DialerControl | None,
    campaign_id: int,
    actor: str,
    now: datetime,
) -> Campaign:
    """Start (or resume) a draft or paused campaign (with lists, keeping every rule); audited."""
    return await change_status(store, audit, dialer, campaign_id, "start", actor, now)

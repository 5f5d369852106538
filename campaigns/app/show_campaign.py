"""Use case: one campaign by id."""

from __future__ import annotations

from campaigns.domain.campaign import Campaign
from campaigns.domain.errors import CampaignError
from campaigns.port import CampaignStore


async def show_campaign(store: CampaignStore, campaign_id: int) -> Campaign:
    """The campaign; ``campaign_not_found`` when there is none."""
    campaign = await store.get(campaign_id)
    if campaign is None:
        raise CampaignError("campaign_not_found", f"no campaign {campaign_id}")
    return campaign

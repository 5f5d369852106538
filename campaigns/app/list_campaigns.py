"""Use case: every campaign, by name."""

from __future__ import annotations

from campaigns.domain.campaign import Campaign
from campaigns.port import CampaignStore


async def list_campaigns(store: CampaignStore) -> list[Campaign]:
    """Every campaign with its status, by name."""
    return await store.all()

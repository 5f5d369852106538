"""Use case: attach a list to a campaign (the list is made, empty, when new)."""

from __future__ import annotations

from datetime import datetime

import structlog

from campaigns.app.show_campaign import show_campaign
from campaigns.domain.campaign import Campaign
from campaigns.domain.errors import CampaignError
from campaigns.port import CampaignStore, ListStore

log = structlog.get_logger("campaigns.campaign")


async def attach_list(
    store: CampaignStore, lists: ListStore, campaign_id: int, list_name: str, now: datetime
) -> Campaign:
    """The campaign with the list named ``list_name`` among its lists. A new list is made in
    the campaign (duplicates are then looked for across the campaign's lists)."""
    campaign = await show_campaign(store, campaign_id)
    if campaign.status == "stopped":
        raise CampaignError("campaign_stopped", "a stopped campaign cannot change")
    dial_list = await lists.ensure_list(list_name, campaign.name, now)
    if dial_list.id in campaign.list_ids:
        return campaign
    campaign = campaign.model_copy(
        update={"list_ids": [*campaign.list_ids, dial_list.id], "updated_at": now}
    )
    await store.save(campaign)
    log.info("campaign_list_attached", campaign_id=campaign_id, list=list_name)
    return campaign

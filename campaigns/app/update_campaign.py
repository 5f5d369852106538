"""Use case: change some fields of a draft or paused campaign."""

from __future__ import annotations

from datetime import datetime

import structlog

from campaigns.app.create_campaign import check_lists
from campaigns.app.show_campaign import show_campaign
from campaigns.domain.campaign import Campaign, CampaignPatch, changed, check_campaign
from campaigns.port import CampaignStore, ListStore

log = structlog.get_logger("campaigns.campaign")


async def update_campaign(
    store: CampaignStore, lists: ListStore, campaign_id: int, patch: CampaignPatch, now: datetime
) -> Campaign:
    """The campaign with ``patch`` applied and checked (``campaign_running`` while it runs)."""
    campaign = check_campaign(changed(await show_campaign(store, campaign_id), patch, now))
    await check_lists(lists, campaign.list_ids)
    await store.save(campaign)
    log.info("campaign_updated", campaign_id=campaign_id, fields=sorted(patch.model_fields_set))
    return campaign

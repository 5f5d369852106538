"""Use case: create a campaign (a draft), its profile's defaults filling what is left out."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import structlog

from campaigns.domain.campaign import Campaign, CampaignIn, check_campaign, new_campaign
from campaigns.domain.errors import CampaignError
from campaigns.port import CampaignStore, ListStore

log = structlog.get_logger("campaigns.campaign")


async def check_lists(lists: ListStore, ids: Iterable[int]) -> None:
    """``list_not_found`` unless every list of ``ids`` exists."""
    wanted = set(ids)
    if not wanted:
        return
    found = {summary.id for summary in await lists.lists(wanted)}
    missing = sorted(wanted - found)
    if missing:
        raise CampaignError("list_not_found", f"no list with id {missing[0]}")


async def create_campaign(
    store: CampaignStore, lists: ListStore, fields: CampaignIn, now: datetime
) -> Campaign:
    """Store a draft campaign; ``CampaignInvalid`` names every rule it breaks."""
    campaign = check_campaign(new_campaign(fields, 0, now))
    await check_lists(lists, campaign.list_ids)
    stored = await store.add(campaign)
    log.info("campaign_created", campaign_id=stored.id, campaign=stored.name, kind=stored.kind)
    return stored

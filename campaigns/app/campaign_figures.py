"""Use case: the live figures of a campaign: the dialer's while it runs the campaign, else
what is stored: leads still to call (never dialled, or due for a retry) and the others by
status (``done`` by the dialer, ``settled`` off a telecobrança list)."""

from __future__ import annotations

from campaigns.app.show_campaign import show_campaign
from campaigns.port import CampaignFigures, CampaignStore, DialerFigures, ListStore


async def campaign_figures(
    store: CampaignStore, lists: ListStore, dialer: DialerFigures | None, campaign_id: int
) -> CampaignFigures:
    """The campaign's figures (``source`` says whose)."""
    campaign = await show_campaign(store, campaign_id)
    live = dialer.figures(campaign_id) if dialer is not None else None
    if live is not None:
        return live
    statuses = await lists.lead_statuses(campaign.list_ids) if campaign.list_ids else {}
    profile = campaign.compliance()
    return CampaignFigures(
        campaign_id=campaign_id,
        dial_level=0.0,
        lines_in_use=0,
        answered=0,
        abandon_rate=0.0,
        abandon_cap=campaign.max_abandon_rate,
        short_calls=0,
        short_call_cap=profile.short_call_cap if profile.requires_0303 else 0,
        remaining_leads=statuses.get("new", 0) + statuses.get("retry", 0),
        results={k: v for k, v in sorted(statuses.items()) if k not in ("new", "retry")},
        source="stored",
    )

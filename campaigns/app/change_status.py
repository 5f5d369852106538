"""Start, pause and stop share one path: the legal transition, the dialer told, the status
stored, the act audited."""

from __future__ import annotations

from datetime import datetime

import structlog

from campaigns.app.show_campaign import show_campaign
from campaigns.domain.campaign import Action, Campaign, next_status
from campaigns.port import AuditTrail, CampaignStore, DialerControl

log = structlog.get_logger("campaigns.campaign")


async def change_status(
    store: CampaignStore,
    audit: AuditTrail,
    dialer: DialerControl | None,
    campaign_id: int,
    action: Action,
    actor: str,
    now: datetime,
) -> Campaign:
    """Apply ``action``; the dialer (when one runs) is told before the status is stored, so
    a dialer that refuses leaves the campaign as it was."""
    campaign = await show_campaign(store, campaign_id)
    status = next_status(campaign, action)
    if dialer is not None:
        await getattr(dialer, action)(campaign_id)
    update: dict[str, object] = {"status": status, "updated_at": now}
    if action == "start" and campaign.started_at is None:
        update["started_at"] = now
    changed = campaign.model_copy(update=update)
    await store.save(changed)
    await audit.record(
        actor,
        f"campaign_{action}",
        f"campaign:{campaign_id}",
        now,
        {"name": campaign.name, "from": campaign.status, "to": status},
    )
    log.info(f"campaign_{action}", campaign_id=campaign_id, actor=actor, status=status)
    return changed

"""``GET /api/campaigns/{campaign}/leads``: the leads of a campaign's lists with their status
as the dialer left them (``new``, ``retry`` with the time of the next try, ``done``,
``settled``), the last reason and the attempts by result; paged by lead id."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from pydantic import BaseModel

from atende.auth import Role
from atende.web.campaign_support import campaign_errors, campaign_id, ctx
from atende.web.errors import ApiError
from atende.web.openapi_ops import Operation
from atende.web.security import allow
from campaigns.app.show_campaign import show_campaign
from campaigns.dialer.sql import campaign_leads

STATUSES = ("new", "retry", "done", "settled")


class CampaignLead(BaseModel):
    """One lead of the campaign."""

    id: int
    list_id: int
    name: str
    state: str
    status: str
    reason: str
    attempts: dict[str, int]
    next_try: datetime | None
    updated_at: datetime | None


class CampaignLeads(BaseModel):
    """A page of leads; ``next_after`` asks for the following page (None: the last)."""

    leads: list[CampaignLead]
    next_after: int | None


def _int(request: web.Request, name: str, default: int, top: int) -> int:
    raw = request.query.get(name, str(default))
    if not raw.isdigit() or not 0 <= int(raw) <= top:
        fields = [{"field": name, "problem": f"a whole number up to {top}"}]
        raise ApiError(422, "invalid_request", "bad leads query", fields=fields)
    return int(raw)


@allow(Role.CAMPAIGN_MANAGER)
@campaign_errors
async def get_leads(request: web.Request) -> web.Response:
    """GET /api/campaigns/{campaign}/leads?status=&after=&limit=: the campaign's leads with
    their dial status (``new``, ``retry``, ``done``, ``settled``), last reason, attempts and
    next try."""
    c = ctx(request)
    campaign = await show_campaign(c.campaigns, campaign_id(request))
    status = request.query.get("status") or None
    if status is not None and status not in STATUSES:
        fields = [{"field": "status", "problem": f"one of {', '.join(STATUSES)}"}]
        raise ApiError(422, "invalid_request", "bad leads query", fields=fields)
    after = _int(request, "after", 0, 2**31 - 1)
    limit = max(1, _int(request, "limit", 100, 1000))
    rows = []
    if campaign.list_ids:
        rows = await campaign_leads(
            c.engine, str(campaign.id), campaign.list_ids, status=status, after=after, limit=limit
        )
    page = CampaignLeads(
        leads=[CampaignLead(**r) for r in rows],
        next_after=rows[-1]["id"] if len(rows) == limit else None,
    )
    return web.json_response(page.model_dump(mode="json"))


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET", "/api/campaigns/{campaign}/leads", get_leads, response=CampaignLeads,
        params={"campaign": int}, tags=("campaigns",),
    ),
)  # fmt: skip

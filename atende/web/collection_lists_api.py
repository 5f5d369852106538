"""Telecobrança lists through the API: build or refresh a list from the ERP's overdue
receivables by selection rules (days-overdue brackets, amount, risk)."""

from __future__ import annotations

from dataclasses import asdict

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from atende.auth import Role
from atende.web.campaign_support import campaign_errors, ctx
from atende.web.campaigns_api import body
from atende.web.errors import ApiError
from atende.web.openapi_ops import Operation
from atende.web.security import allow
from campaigns.app.attach_list import attach_list
from campaigns.app.refresh_collection_list import refresh_collection_list
from campaigns.app.show_campaign import show_campaign
from campaigns.domain.collection_rules import SelectionRules
from campaigns.port import CollectionSync
from erp_bridge.domain.errors import ErpError


class CollectionListIn(BaseModel):
    """The list to build or refresh, the campaign it belongs to (id, optional: the list is
    attached to it), and the selection rules."""

    model_config = ConfigDict(extra="forbid")
    list: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$")
    campaign: int | None = None
    rules: SelectionRules = Field(default_factory=SelectionRules)


@allow(Role.CAMPAIGN_MANAGER)
@campaign_errors
async def post_collection_list(request: web.Request) -> web.Response:
    """POST /api/campaigns/collection-lists: build or refresh a telecobrança list from the
    ERP's overdue titles. One lead per customer picked by the rules (bracket by the most
    overdue title, amount overdue, risk class); customers who paid or promised leave the list
    (``settled``), a broken promise brings the customer back the day after the promised date
    (``reopened``). Run it again after payments (the ERP change feed) or daily."""
    c = ctx(request)
    req = await body(request, CollectionListIn)
    if c.erp is None:
        raise ApiError(503, "erp_unavailable", "no ERP is configured")
    campaign = await show_campaign(c.campaigns, req.campaign) if req.campaign else None
    try:
        result = await refresh_collection_list(
            c.erp, c.lists, req.list, req.rules,
            campaign=campaign.name if campaign else None, clock=c.clock,
        )  # fmt: skip
    except ErpError as err:
        raise ApiError(503, "erp_unavailable", f"{err.code}: {err.message}") from None
    if campaign is not None:
        await attach_list(c.campaigns, c.lists, campaign.id, req.list, c.clock())
    return web.json_response(asdict(result))


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "POST", "/api/campaigns/collection-lists", post_collection_list, body=CollectionListIn,
        response=CollectionSync, refusals=(409, 503), tags=("campaigns",),
    ),
)  # fmt: skip

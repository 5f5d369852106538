"""HTTP API of campaigns for the campaign manager (and admin): campaigns, their status, their
lists and live figures. Each handler reads its body into a ``campaigns.domain.campaign`` model
and calls one ``campaigns.app`` use case (the CLI calls the same ones); :data:`OPERATIONS`
gives the routes and their OpenAPI description. Uploads: :mod:`atende.web.campaign_uploads_api`.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from atende.auth import Role
from atende.web.campaign_support import CAMPAIGNS, CampaignsWeb, campaign_errors, campaign_id, ctx
from atende.web.errors import ApiError, invalid_request
from atende.web.openapi_ops import Operation
from atende.web.security import allow, principal
from campaigns.app.attach_list import attach_list
from campaigns.app.campaign_figures import campaign_figures
from campaigns.app.create_campaign import create_campaign
from campaigns.app.list_campaigns import list_campaigns
from campaigns.app.pause_campaign import pause_campaign
from campaigns.app.show_campaign import show_campaign
from campaigns.app.start_campaign import start_campaign
from campaigns.app.stop_campaign import stop_campaign
from campaigns.app.update_campaign import update_campaign
from campaigns.domain.campaign import Campaign, CampaignIn, CampaignPatch
from campaigns.port import CampaignFigures, ListSummary

M = TypeVar("M", bound=BaseModel)
MANAGERS = (Role.CAMPAIGN_MANAGER,)


class CampaignList(BaseModel):
    """Every campaign, by name."""

    campaigns: list[Campaign]


class AttachIn(BaseModel):
    """The list to attach (made, empty, in the campaign when new)."""

    model_config = ConfigDict(extra="forbid")
    list: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$")


class ListsOut(BaseModel):
    """Dialer lists with their leads in all and still to call."""

    lists: list[ListSummary]


async def body(request: web.Request, model: type[M]) -> M:
    """The JSON body read into ``model`` (400 not JSON, 422 with each bad field)."""
    try:
        data: Any = await request.json()
    except ValueError:
        raise ApiError(400, "invalid_json", "request body is not JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_request(exc) from None


def reply(value: BaseModel, status: int = 200) -> web.Response:
    return web.json_response(value.model_dump(mode="json"), status=status)


@allow(*MANAGERS)
@campaign_errors
async def get_campaigns(request: web.Request) -> web.Response:
    """GET /api/campaigns: every campaign with its status, by name."""
    return reply(CampaignList(campaigns=await list_campaigns(ctx(request).campaigns)))


@allow(*MANAGERS)
@campaign_errors
async def post_campaign(request: web.Request) -> web.Response:
    """POST /api/campaigns: create a draft campaign. Fields left out take the compliance
    profile's defaults (BR unless ``profile`` says US or UK); a field the profile does not
    allow (hours outside its window, an abandon cap above the law's, a non-0303 caller id for
    Brazilian telemarketing) is refused with its code."""
    c = ctx(request)
    fields = await body(request, CampaignIn)
    return reply(await create_campaign(c.campaigns, c.lists, fields, c.clock()), 201)


@allow(*MANAGERS)
@campaign_errors
async def get_campaign(request: web.Request) -> web.Response:
    """GET /api/campaigns/{campaign}: one campaign."""
    return reply(await show_campaign(ctx(request).campaigns, campaign_id(request)))


@allow(*MANAGERS)
@campaign_errors
async def patch_campaign(request: web.Request) -> web.Response:
    """PATCH /api/campaigns/{campaign}: change the fields given, of a draft or paused
    campaign (``campaign_running`` while it runs)."""
    c = ctx(request)
    patch = await body(request, CampaignPatch)
    ident = campaign_id(request)
    return reply(await update_campaign(c.campaigns, c.lists, ident, patch, c.clock()))


def _status_handler(action: str) -> Any:
    use_case = {"start": start_campaign, "pause": pause_campaign, "stop": stop_campaign}[action]
    docs = {
        "start": "start a draft or paused campaign (it needs a list and must keep every rule)",
        "pause": "pause a running campaign: no new calls",
        "stop": "stop a campaign for good",
    }

    @allow(*MANAGERS)
    @campaign_errors
    async def handler(request: web.Request) -> web.Response:
        c = ctx(request)
        ident = campaign_id(request)
        actor = principal(request).username
        return reply(await use_case(c.campaigns, c.audit, c.dialer, ident, actor, c.clock()))

    handler.__name__ = f"{action}_campaign"
    handler.__doc__ = f"POST /api/campaigns/{{campaign}}/{action}: {docs[action]}. Audited."
    return handler


@allow(*MANAGERS)
@campaign_errors
async def post_campaign_list(request: web.Request) -> web.Response:
    """POST /api/campaigns/{campaign}/lists: attach a list by name (made, empty, when new;
    duplicates are then looked for across the campaign)."""
    c = ctx(request)
    attach = await body(request, AttachIn)
    ident = campaign_id(request)
    return reply(await attach_list(c.campaigns, c.lists, ident, attach.list, c.clock()))


@allow(*MANAGERS)
@campaign_errors
async def get_figures(request: web.Request) -> web.Response:
    """GET /api/campaigns/{campaign}/figures: dial level, lines in use, answered, abandon rate
    and its cap, short calls and their cap, leads still to call, results by code. ``source``
    is ``dialer`` while the dialer runs the campaign, else ``stored``."""
    c = ctx(request)
    figures = await campaign_figures(c.campaigns, c.lists, c.figures, campaign_id(request))
    return web.json_response(asdict(figures))


@allow(*MANAGERS)
@campaign_errors
async def get_lists(request: web.Request) -> web.Response:
    """GET /api/campaigns/lists: every dialer list with its leads in all and still to call."""
    lists = await ctx(request).lists.lists()
    return reply(ListsOut(lists=lists))


CAMPAIGN = {"campaign": int}
TAGS = ("campaigns",)
OPERATIONS: tuple[Operation, ...] = (
    Operation("GET", "/api/campaigns", get_campaigns, response=CampaignList, tags=TAGS),
    Operation(
        "POST", "/api/campaigns", post_campaign, 201, CampaignIn, Campaign, refusals=(409,),
        tags=TAGS,
    ),
    Operation("GET", "/api/campaigns/lists", get_lists, response=ListsOut, tags=TAGS),
    Operation(
        "GET", "/api/campaigns/{campaign}", get_campaign, response=Campaign, params=CAMPAIGN,
        tags=TAGS,
    ),
    Operation(
        "PATCH", "/api/campaigns/{campaign}", patch_campaign, body=CampaignPatch,
        response=Campaign, params=CAMPAIGN, refusals=(409,), tags=TAGS,
    ),
    *(
        Operation(
            "POST", f"/api/campaigns/{{campaign}}/{action}", _status_handler(action),
            response=Campaign, params=CAMPAIGN, refusals=(409, 503), tags=TAGS,
        )
        for action in ("start", "pause", "stop")
    ),
    Operation(
        "POST", "/api/campaigns/{campaign}/lists", post_campaign_list, body=AttachIn,
        response=Campaign, params=CAMPAIGN, refusals=(409,), tags=TAGS,
    ),
    Operation(
        "GET", "/api/campaigns/{campaign}/figures", get_figures, response=CampaignFigures,
        params=CAMPAIGN, tags=TAGS,
    ),
)  # fmt: skip


def add_campaign_routes(app: web.Application, campaigns: CampaignsWeb) -> None:
    """Register the campaign endpoints (campaigns, uploads, telecobrança lists) on ``app``."""
    from atende.web.campaign_figures_stream import OPERATIONS as STREAM
    from atende.web.campaign_figures_stream import end_streams_at_shutdown
    from atende.web.campaign_leads_api import OPERATIONS as LEADS
    from atende.web.campaign_uploads_api import OPERATIONS as UPLOADS
    from atende.web.collection_lists_api import OPERATIONS as COLLECTION
    from atende.web.preview_api import OPERATIONS as PREVIEW

    app[CAMPAIGNS] = campaigns
    for op in (*OPERATIONS, *LEADS, *STREAM, *UPLOADS, *COLLECTION, *PREVIEW):
        op.route(app)

    async def stop_uploads(_: web.Application) -> None:
        await campaigns.uploads.close()

    app.on_cleanup.append(stop_uploads)
    end_streams_at_shutdown(app)

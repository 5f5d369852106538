"""``/api/agent/preview``: preview campaigns on the agent's desktop. The signed-in agent is
offered the next lead of a running preview campaign of a queue he serves (while he is
available), with the customer's view when the lead is a known customer; he dials it (his
phone rings first, then the lead with the campaign's caller id) or skips it.

Role ``agent`` only; an agent sees and dials only the lead held for him (409
``no_preview_lead`` otherwise). The ACD's refusals of the call keep their codes
(``agent_busy``...).
"""

from __future__ import annotations

import functools

import structlog
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from acd.domain import AcdError
from atende.auth import Role
from atende.desk.calls import customer_key
from atende.web.agent_api import DESK, signed_in_agent
from atende.web.campaign_support import campaign_errors, ctx
from atende.web.errors import ApiError, acd_error, invalid_request
from atende.web.openapi_ops import Operation
from atende.web.security import Handler, allow
from campaigns.port import PreviewLeads, PreviewOffer
from crm_sync.domain.view import CustomerView

log = structlog.get_logger("atende.web")
TAGS = ("agent preview",)


class PreviewLeadOut(BaseModel):
    """The lead offered to the agent."""

    campaign_id: str
    lead_id: int
    name: str
    number: str
    state: str
    customer_id: str | None
    caller_id: str


class PreviewOut(BaseModel):
    """The agent's preview lead (None: nothing to dial now) and its customer's view."""

    lead: PreviewLeadOut | None
    view: CustomerView | None = None


class PreviewLeadIn(BaseModel):
    """The lead the agent acts on (the one offered to him)."""

    model_config = ConfigDict(extra="forbid")
    lead_id: int = Field(ge=1)


class PreviewDialled(BaseModel):
    """The agent's phone rings; his answer dials the lead."""

    status: str = "accepted"
    attempt: str


def _preview(request: web.Request) -> PreviewLeads:
    preview = ctx(request).preview
    if preview is None:
        raise ApiError(503, "dialer_unavailable", "the dialer is not running")
    return preview


def preview_errors(handler: Handler) -> Handler:
    """The ACD's refusals of the call with their codes."""

    @functools.wraps(handler)
    async def call(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except AcdError as exc:
            raise acd_error(exc) from None

    return call


async def _lead_in(request: web.Request) -> int:
    try:
        raw = await request.json()
    except ValueError:
        raise ApiError(400, "invalid_json", "request body is not JSON") from None
    try:
        return PreviewLeadIn.model_validate(raw).lead_id
    except ValidationError as exc:
        raise invalid_request(exc) from None


async def _view(request: web.Request, agent: str, offer: PreviewOffer) -> CustomerView | None:
    """The lead's customer (``CODE-STORE``) as the desktop shows it; the agent may then read
    that customer as one of his calls'. None when the lead is no known customer."""
    desk = request.app.get(DESK)
    raw = offer.customer_id or ""
    code, _, store = raw.partition("-")
    if desk is None or desk.views is None or not code.isalnum() or not (store or "01").isalnum():
        return None
    store = store or "01"
    try:
        view = await desk.views.view(code, store)
    except Exception as exc:  # an unknown customer, the ERP away: the lead shows without
        log.info("preview_customer_unavailable", customer=raw, error=str(exc))
        return None
    desk.calls.allow(agent, customer_key(code, store), desk.clock())
    return view


@allow(Role.AGENT)
@campaign_errors
async def get_preview(request: web.Request) -> web.Response:
    """GET /api/agent/preview: the lead offered to the agent (held for him until he dials or
    skips it) with its customer's view; ``lead`` null when there is none now."""
    agent = await signed_in_agent(request)
    offer = _preview(request).preview_offer(agent)
    if offer is None:
        return web.json_response(PreviewOut(lead=None).model_dump(mode="json"))
    lead = PreviewLeadOut(
        campaign_id=offer.campaign_id, lead_id=offer.lead_id, name=offer.name,
        number=offer.number, state=offer.state, customer_id=offer.customer_id,
        caller_id=offer.caller_id,
    )  # fmt: skip
    out = PreviewOut(lead=lead, view=await _view(request, agent, offer))
    return web.json_response(out.model_dump(mode="json"))


@allow(Role.AGENT)
@campaign_errors
@preview_errors
async def post_dial(request: web.Request) -> web.Response:
    """POST /api/agent/preview/dial: dial the offered lead; the agent's phone rings first,
    his answer dials the lead with the campaign's caller id."""
    lead_id = await _lead_in(request)
    agent = await signed_in_agent(request)
    attempt = await _preview(request).preview_dial(agent, lead_id)
    return web.json_response(PreviewDialled(attempt=attempt).model_dump(mode="json"), status=202)


@allow(Role.AGENT)
@campaign_errors
async def post_skip(request: web.Request) -> web.StreamResponse:
    """POST /api/agent/preview/skip: pass over the offered lead (others may get it); the
    answer is the next lead, if any."""
    lead_id = await _lead_in(request)
    agent = await signed_in_agent(request)
    preview = _preview(request)
    preview.preview_skip(agent, lead_id)
    return await get_preview(request)


OPERATIONS: tuple[Operation, ...] = (
    Operation("GET", "/api/agent/preview", get_preview, response=PreviewOut, tags=TAGS),
    Operation(
        "POST", "/api/agent/preview/dial", post_dial, 202, PreviewLeadIn, PreviewDialled,
        refusals=(409, 503), tags=TAGS,
    ),
    Operation(
        "POST", "/api/agent/preview/skip", post_skip, body=PreviewLeadIn, response=PreviewOut,
        refusals=(409, 503), tags=TAGS,
    ),
)  # fmt: skip

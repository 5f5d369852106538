"""``/api/agent/preview`` and ``/api/agent/callbacks``: preview campaigns and scheduled
callbacks on the agent's desktop. The signed-in agent is offered (while he is available) a
callback now due for him or anyone, else the next lead of a running preview campaign of a
queue he serves, with the customer's view when the lead is a known customer; he dials it (his
phone rings first, then the lead with the campaign's caller id) or skips it. From a call he
schedules a callback at a date and time, for himself or anyone.

Role ``agent`` only; an agent sees and dials only the lead held for him (409
``no_preview_lead`` otherwise). The ACD's refusals of the call keep their codes
(``agent_busy``...).
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

import structlog
from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from atende.auth import Role
from atende.desk.calls import customer_key
from atende.web.acd_api import acd_errors
from atende.web.agent_api import DESK, signed_in_agent
from atende.web.campaign_support import campaign_errors, ctx
from atende.web.errors import ApiError, invalid_request
from atende.web.openapi_ops import Operation
from atende.web.security import allow
from campaigns.port import PreviewLeads, PreviewOffer, ScheduledCallback
from crm_sync.domain.view import CustomerView

log = structlog.get_logger("atende.web")
TAGS = ("agent preview",)
M = TypeVar("M", bound=BaseModel)


class PreviewLeadOut(BaseModel):
    """The lead offered to the agent."""

    campaign_id: str
    lead_id: int
    name: str
    number: str
    state: str
    customer_id: str | None
    caller_id: str
    callback_id: int | None = None
    due_at: datetime | None = None
    note: str = ""


class PreviewOut(BaseModel):
    """The agent's preview lead (None: nothing to dial now) and its customer's view."""

    lead: PreviewLeadOut | None
    view: CustomerView | None = None


class PreviewLeadIn(BaseModel):
    """The lead or the callback the agent acts on (the one offered to him)."""

    model_config = ConfigDict(extra="forbid")
    lead_id: int = Field(default=0, ge=0)
    callback_id: int | None = Field(default=None, ge=1)


class CallbackIn(BaseModel):
    """A callback of the agent's call: when (with its time zone), for him or anyone."""

    model_config = ConfigDict(extra="forbid")
    at: AwareDatetime
    anyone: bool = False
    note: str = Field(default="", max_length=512)
    call_id: str | None = Field(default=None, max_length=128)


class CallbackOut(BaseModel):
    """A scheduled callback."""

    id: int
    number: str
    due_at: datetime
    agent: str | None
    campaign_id: str
    lead_id: int | None
    name: str
    note: str


class CallbacksOut(BaseModel):
    """The callbacks still to place that the agent may get (his and anyone's)."""

    callbacks: list[CallbackOut]


class PreviewDialled(BaseModel):
    """The agent's phone rings; his answer dials the lead."""

    status: str = "accepted"
    attempt: str


def _preview(request: web.Request) -> PreviewLeads:
    preview = ctx(request).preview
    if preview is None:
        raise ApiError(503, "dialer_unavailable", "the dialer is not running")
    return preview


async def _read(request: web.Request, model: type[M]) -> M:
    try:
        raw = await request.json()
    except ValueError:
        raise ApiError(400, "invalid_json", "request body is not JSON") from None
    try:
        return model.model_validate(raw)
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
    offer = await _preview(request).preview_offer(agent)
    if offer is None:
        return web.json_response(PreviewOut(lead=None).model_dump(mode="json"))
    lead = PreviewLeadOut(
        campaign_id=offer.campaign_id, lead_id=offer.lead_id, name=offer.name,
        number=offer.number, state=offer.state, customer_id=offer.customer_id,
        caller_id=offer.caller_id, callback_id=offer.callback_id, due_at=offer.due_at,
        note=offer.note,
    )  # fmt: skip
    out = PreviewOut(lead=lead, view=await _view(request, agent, offer))
    return web.json_response(out.model_dump(mode="json"))


@allow(Role.AGENT)
@campaign_errors
@acd_errors
async def post_dial(request: web.Request) -> web.Response:
    """POST /api/agent/preview/dial: dial the offered lead; the agent's phone rings first,
    his answer dials the lead with the campaign's caller id."""
    body = await _read(request, PreviewLeadIn)
    agent = await signed_in_agent(request)
    attempt = await _preview(request).preview_dial(agent, body.lead_id, body.callback_id)
    return web.json_response(PreviewDialled(attempt=attempt).model_dump(mode="json"), status=202)


@allow(Role.AGENT)
@campaign_errors
async def post_skip(request: web.Request) -> web.StreamResponse:
    """POST /api/agent/preview/skip: pass over the offered lead (others may get it); the
    answer is the next lead, if any."""
    body = await _read(request, PreviewLeadIn)
    agent = await signed_in_agent(request)
    await _preview(request).preview_skip(agent, body.lead_id, body.callback_id)
    return await get_preview(request)


def _known_call(request: web.Request, agent: str, call_id: str | None) -> PreviewOffer | None:
    """One of the agent's calls the desk knows (an inbound call): its number and customer."""
    desk = request.app.get(DESK)
    call = desk.calls.get(call_id) if desk is not None and call_id else None
    if call is None or call.agent != agent or not call.caller:
        return None
    return PreviewOffer("", agent, 0, "", call.caller, "", call.customer(), "")


def _callback_out(c: ScheduledCallback) -> CallbackOut:
    return CallbackOut(
        id=c.id, number=c.number, due_at=c.due_at, agent=c.agent, campaign_id=c.campaign_id,
        lead_id=c.lead_id, name=c.name, note=c.note,
    )  # fmt: skip


@allow(Role.AGENT)
@campaign_errors
async def post_callback(request: web.Request) -> web.Response:
    """POST /api/agent/callbacks: schedule a callback of the agent's call (``call_id``, one of
    his calls, else his last preview lead) at ``at``, for him or ``anyone``; offered on the
    desk once due."""
    body = await _read(request, CallbackIn)
    agent = await signed_in_agent(request)
    known = _known_call(request, agent, body.call_id)  # else the dialer's call, if his
    made = await _preview(request).schedule_callback(
        agent, body.call_id, body.at, body.anyone, body.note, known
    )
    return web.json_response(_callback_out(made).model_dump(mode="json"), status=201)


@allow(Role.AGENT)
@campaign_errors
async def get_callbacks(request: web.Request) -> web.Response:
    """GET /api/agent/callbacks: the callbacks still to place that the agent may get (his
    and anyone's), earliest first."""
    agent = await signed_in_agent(request)
    found = _preview(request).callbacks_of(agent)
    out = CallbacksOut(callbacks=[_callback_out(c) for c in found])
    return web.json_response(out.model_dump(mode="json"))


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
    Operation("GET", "/api/agent/callbacks", get_callbacks, response=CallbacksOut, tags=TAGS),
    Operation(
        "POST", "/api/agent/callbacks", post_callback, 201, CallbackIn, CallbackOut,
        refusals=(409, 503), tags=TAGS,
    ),
)  # fmt: skip

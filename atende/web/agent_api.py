"""HTTP API of the agent's desktop (``/api/agent/...``): the signed-in agent's state, session,
pauses, wrap-up, his call's disposition and the customers of his calls.

Role ``agent`` only (a supervisor acts on agents through ``/api/acd/agents``); the user maps to
the agent configured with his ``username``. One table, :data:`OPERATIONS`, gives the routes and
their OpenAPI description; the WebSocket is :mod:`atende.web.agent_ws`.
"""

from __future__ import annotations

import functools
from datetime import datetime

from aiohttp import web

from acd.app.agents import get_agent
from acd.app.extend_wrap_up import extend_wrap_up
from acd.app.login_agent import login_agent
from acd.app.logout_agent import logout_agent
from acd.app.make_available import make_available
from acd.app.models import AgentStatus, ExtendWrapUpIn, PauseAfterCallIn, PauseIn
from acd.app.pause_after_call import pause_after_call
from acd.app.pause_agent import pause_agent
from acd.domain import AcdError
from acd.live import AcdNotReady
from atende.auth import Role
from atende.desk.dispose import (
    DispositionIn,
    DispositionOut,
    give_disposition,
    release_disposed_wrap_up,
)
from atende.desk.service import AgentDesk, NotAnAgent, NotYourCustomer, Refused, utc
from atende.web.acd_api import _body
from atende.web.crm_api import _customer, crm_errors
from atende.web.erp_support import validate
from atende.web.errors import ApiError, acd_error
from atende.web.openapi_ops import Operation, Status
from atende.web.security import Handler, allow, principal
from crm_sync.domain.view import CustomerView
from erp_bridge.outbox.outcomes import PAYLOADS, Outcome

DESK: web.AppKey[AgentDesk | None] = web.AppKey("agent_desk", object)  # type: ignore[arg-type]


def desk_errors(handler: Handler) -> Handler:
    """ACD refusals with their codes, desktop refusals, a not-ready ACD as 503."""

    @functools.wraps(handler)
    async def call(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except AcdError as exc:
            raise acd_error(exc) from None
        except Refused as exc:
            raise ApiError(exc.status, exc.code, exc.message) from None
        except AcdNotReady as exc:
            raise ApiError(503, "acd_not_ready", str(exc)) from None

    return call


def desk_of(request: web.Request) -> AgentDesk:
    """The running desktop (503 ``acd_not_running`` without an ACD)."""
    desk = request.app.get(DESK)
    if desk is None:
        raise ApiError(503, "acd_not_running", "the ACD is not running")
    return desk


async def signed_in_agent(request: web.Request) -> str:
    """The agent id of the signed-in user; 403 for other roles or a user with no agent."""
    who = principal(request)
    if who.role is not Role.AGENT:
        raise ApiError(403, "forbidden", "only agents use the agent desktop")
    try:
        return await desk_of(request).agent_of(who.username)
    except NotAnAgent:
        raise ApiError(403, "not_an_agent", "no agent is configured for this user") from None


def _status(value: AgentStatus) -> web.Response:
    return web.json_response(value.model_dump(mode="json"))


@allow(Role.AGENT)
@desk_errors
async def desk_me(request: web.Request) -> web.Response:
    """GET /api/agent/me: the agent's state, pause, wrap-up timer and call with customers."""
    agent = await signed_in_agent(request)
    return _status(desk_of(request).status(agent))


@allow(Role.AGENT)
@desk_errors
async def desk_login(request: web.Request) -> web.Response:
    """POST /api/agent/login: log in (available) at the phone configured for the agent."""
    agent_id = await signed_in_agent(request)
    desk = desk_of(request)
    await login_agent(desk.acd, await get_agent(desk.config, agent_id))
    return _status(desk.status(agent_id))


@allow(Role.AGENT)
@desk_errors
async def desk_logout(request: web.Request) -> web.Response:
    """POST /api/agent/logout: log out (from available or paused)."""
    agent_id = await signed_in_agent(request)
    desk = desk_of(request)
    await logout_agent(desk.acd, await get_agent(desk.config, agent_id))
    return _status(desk.status(agent_id))


@allow(Role.AGENT)
@desk_errors
async def desk_pause(request: web.Request) -> web.Response:
    """POST /api/agent/pause: pause with a reason (from available or paused)."""
    agent_id = await signed_in_agent(request)
    body = await _body(request, PauseIn)
    desk = desk_of(request)
    await pause_agent(desk.acd, await get_agent(desk.config, agent_id), body)
    return _status(desk.status(agent_id))


@allow(Role.AGENT)
@desk_errors
async def desk_available(request: web.Request) -> web.Response:
    """POST /api/agent/available: unpause, or end the wrap-up (once the call has its
    disposition when the queue has codes: else 409 ``disposition_required``)."""
    return await _make_available(request)


async def _make_available(request: web.Request) -> web.Response:
    agent_id = await signed_in_agent(request)
    desk = desk_of(request)
    await release_disposed_wrap_up(desk, agent_id)  # a transferred call disposed already
    await make_available(desk.acd, agent_id)
    return _status(desk.status(agent_id))


@allow(Role.AGENT)
@desk_errors
async def desk_after_call(request: web.Request) -> web.Response:
    """POST /api/agent/pause-after-call: pause with the reason once the call is over
    (``null`` cancels); 409 ``no_call`` without a call."""
    agent_id = await signed_in_agent(request)
    body = await _body(request, PauseAfterCallIn)
    desk = desk_of(request)
    return _status(await pause_after_call(desk.acd, agent_id, body))


@allow(Role.AGENT)
@desk_errors
async def desk_extend(request: web.Request) -> web.Response:
    """POST /api/agent/wrap-up/extend: more seconds of wrap-up; 409 ``no_call`` outside it."""
    agent_id = await signed_in_agent(request)
    body = await _body(request, ExtendWrapUpIn)
    return _status(await extend_wrap_up(desk_of(request).acd, agent_id, body))


@allow(Role.AGENT)
@desk_errors
async def desk_end_wrap_up(request: web.Request) -> web.Response:
    """POST /api/agent/wrap-up/end: end the wrap-up now (as ``available``)."""
    return await _make_available(request)


@allow(Role.AGENT)
@desk_errors
async def desk_disposition(request: web.Request) -> web.Response:
    """POST /api/agent/call/disposition: the code of the agent's call (from its queue's list),
    once per call; it ends the wrap-up (available, or the pause asked for after the call).
    403 ``not_your_call``; 409 ``unknown_disposition``, ``disposition_taken``."""
    agent_id = await signed_in_agent(request)
    body = await _body(request, DispositionIn)
    desk = desk_of(request)
    who = principal(request)
    outcome = None
    if body.outcome is not None:
        payload = validate(PAYLOADS[body.outcome.kind], body.outcome.payload)
        try:
            await desk.check_customer(agent_id, payload.customer_code, payload.customer_store)
        except NotYourCustomer:
            message = "the outcome's customer is not of his calls"
            raise ApiError(403, "not_your_customer", message) from None
        outcome = Outcome(payload, call_id=body.call_id, agent=who.username)
    now = utc_now(desk)
    done = await give_disposition(desk, agent_id, who.username, body, now, outcome)
    return web.json_response(done.model_dump(mode="json"), status=201)


@allow(Role.AGENT)
@desk_errors
@crm_errors
async def desk_customer_view(request: web.Request) -> web.Response:
    """GET /api/agent/customers/{customer_id}/view: the view of a customer of one of the
    agent's calls of today (``CODE-STORE``); 403 ``not_your_customer`` otherwise. Opening one
    of several candidates of the current call picks him for the call."""
    agent_id = await signed_in_agent(request)
    desk = desk_of(request)
    if desk.views is None:
        raise ApiError(503, "customers_not_running", "the customer view is not running")
    code, store = _customer(request.match_info["customer_id"])
    try:
        view = await desk.customer_view(agent_id, code, store)
    except NotYourCustomer:
        raise ApiError(
            403, "not_your_customer", "an agent sees only the customers of his calls of today"
        ) from None
    return web.json_response(view.model_dump(mode="json"))


def utc_now(desk: AgentDesk) -> datetime:
    """The desktop's clock as an aware datetime."""
    return utc(desk.clock())


TAGS = ("agent",)
REFUSED: tuple[Status, ...] = (409, 503)
OPERATIONS: tuple[Operation, ...] = (
    Operation("GET", "/api/agent/me", desk_me, response=AgentStatus, refusals=(503,), tags=TAGS),
    *(
        Operation(
            "POST", path, handler, body=body, response=AgentStatus, refusals=REFUSED, tags=TAGS
        )
        for path, handler, body in (
            ("/api/agent/login", desk_login, None),
            ("/api/agent/logout", desk_logout, None),
            ("/api/agent/pause", desk_pause, PauseIn),
            ("/api/agent/available", desk_available, None),
            ("/api/agent/pause-after-call", desk_after_call, PauseAfterCallIn),
            ("/api/agent/wrap-up/extend", desk_extend, ExtendWrapUpIn),
            ("/api/agent/wrap-up/end", desk_end_wrap_up, None),
        )
    ),
    Operation(
        "POST",
        "/api/agent/call/disposition",
        desk_disposition,
        201,
        DispositionIn,
        DispositionOut,
        refusals=REFUSED,
        tags=TAGS,
    ),
    Operation(
        "GET",
        "/api/agent/customers/{customer_id}/view",
        desk_customer_view,
        response=CustomerView,
        refusals=(422, 503),
        tags=TAGS,
    ),
)


def add_routes(app: web.Application, desk: AgentDesk | None) -> None:
    """Register the agent desktop's endpoints and its WebSocket on ``app``."""
    from atende.web.agent_ws import desk_socket

    app[DESK] = desk
    for op in OPERATIONS:
        op.route(app)
    app.router.add_get("/api/agent/ws", desk_socket)

"""``/api/agent/call/...``: the signed-in agent's controls on his own current call.

Hang up, hold/unhold, blind or attended transfer (complete, cancel), DTMF and click-to-call.
Each handler finds the agent of the signed-in user (``acd_agents.username``), reads its body
into an ``acd.app.call_models`` model and calls one ``acd.app`` use case. A control Asterisk
took answers ``202 {"status": "accepted", ...}``; one the call's state refuses answers 409 with
a stable code (``no_call``, ``not_connected``, ``on_hold``, ``not_on_hold``,
``transfer_in_progress``, ``no_transfer``, ``unknown_target``, ``agent_busy``,
``transfer_unavailable``, ``asterisk_unavailable``). An agent acts only on his own call: no
call id is taken from the request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from acd.app.call_controls_state import call_controls_state
from acd.app.call_models import (
    CallControlsView,
    ControlAccepted,
    DtmfIn,
    OriginateIn,
    TransferIn,
)
from acd.app.cancel_transfer import cancel_transfer
from acd.app.click_to_call import click_to_call
from acd.app.complete_transfer import complete_transfer
from acd.app.hangup_call import hangup_call
from acd.app.hold_call import hold_call
from acd.app.ports import CallControlPort
from acd.app.send_dtmf import send_dtmf
from acd.app.transfer_call import transfer_call
from acd.app.unhold_call import unhold_call
from acd.live.sql import AcdConfigStore
from atende.auth import Role
from atende.web.acd_api import ACD, ACD_CONFIG, _body, acd_errors
from atende.web.errors import ApiError
from atende.web.openapi_ops import Operation
from atende.web.security import Handler, allow, principal

CONTROLS: web.AppKey[CallControlPort | None] = web.AppKey("call_controls", object)  # type: ignore[arg-type]

TAGS = ("agent call",)


async def _agent_of(request: web.Request) -> str:
    """The agent id of the signed-in user; 403 ``not_an_agent`` for a user with none."""
    who = principal(request)
    for row in await request.app[ACD_CONFIG].agents():
        if row.get("username") == who.username:
            return str(row["agent"])
    raise ApiError(403, "not_an_agent", "the signed-in user is not an agent of the ACD")


def _controls(request: web.Request) -> CallControlPort:
    controls = request.app.get(CONTROLS)
    if controls is None:
        raise ApiError(503, "acd_not_running", "the ACD is not running")
    return controls


def _reply(done: ControlAccepted) -> web.Response:
    return web.json_response(done.model_dump(mode="json"), status=202)


Plain = Callable[[CallControlPort, str], Awaitable[ControlAccepted]]


def _plain(use_case: Plain, doc: str) -> Handler:
    """A handler for a control without a body."""

    @allow(Role.AGENT)
    @acd_errors
    async def handler(request: web.Request) -> web.Response:
        agent = await _agent_of(request)
        return _reply(await use_case(_controls(request), agent))

    handler.__doc__ = doc
    handler.__name__ = use_case.__name__
    return handler


hangup = _plain(hangup_call, "POST /api/agent/call/hangup: hang up the agent's current call.")
hold = _plain(hold_call, "POST /api/agent/call/hold: the caller hears music, the agent waits.")
unhold = _plain(unhold_call, "POST /api/agent/call/unhold: the caller and the agent talk again.")
complete = _plain(
    complete_transfer,
    "POST /api/agent/call/transfer/complete: the attended transfer's target takes the caller.",
)
cancel = _plain(
    cancel_transfer,
    "POST /api/agent/call/transfer/cancel: the target's leg ends; the agent is back.",
)


@allow(Role.AGENT)
@acd_errors
async def transfer(request: web.Request) -> web.Response:
    """POST /api/agent/call/transfer: blind or attended transfer to a queue, an agent or a
    number. Blind to a queue: the caller is queued there again as a new entry."""
    body = await _body(request, TransferIn)
    agent = await _agent_of(request)
    return _reply(await transfer_call(_controls(request), agent, body))


@allow(Role.AGENT)
@acd_errors
async def dtmf(request: web.Request) -> web.Response:
    """POST /api/agent/call/dtmf: keypad digits the customer's side hears."""
    body = await _body(request, DtmfIn)
    agent = await _agent_of(request)
    return _reply(await send_dtmf(_controls(request), agent, body))


@allow(Role.AGENT)
@acd_errors
async def originate(request: web.Request) -> web.Response:
    """POST /api/agent/call/originate: click-to-call; the agent's phone rings first, then the
    customer's. Only for an agent available or paused with no call."""
    body = await _body(request, OriginateIn)
    agent = await _agent_of(request)
    return _reply(await click_to_call(_controls(request), agent, body))


@allow(Role.AGENT)
@acd_errors
async def controls_state(request: web.Request) -> web.Response:
    """GET /api/agent/call/controls: the agent's call as the controls see it (held, an
    attended transfer under way, a click-to-call)."""
    agent = await _agent_of(request)
    view = call_controls_state(_controls(request), agent)
    return web.json_response(view.model_dump(mode="json"))


def _op(path: str, handler: Any, body: type[BaseModel] | None = None) -> Operation:
    return Operation(
        "POST", f"/api/agent/call{path}", handler, 202, body, ControlAccepted,
        refusals=(409, 503), tags=TAGS,
    )  # fmt: skip


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/api/agent/call/controls",
        controls_state,
        response=CallControlsView,
        refusals=(503,),
        tags=TAGS,
    ),
    _op("/hangup", hangup),
    _op("/hold", hold),
    _op("/unhold", unhold),
    _op("/transfer", transfer, TransferIn),
    _op("/transfer/complete", complete),
    _op("/transfer/cancel", cancel),
    _op("/dtmf", dtmf, DtmfIn),
    _op("/originate", originate, OriginateIn),
)


def add_call_control_routes(
    app: web.Application, controls: CallControlPort | None, config: AcdConfigStore
) -> None:
    """Register the agent's call controls on ``app``."""
    app[CONTROLS] = controls
    if ACD_CONFIG not in app:
        app[ACD_CONFIG] = config
    if ACD not in app:
        app[ACD] = None
    for op in OPERATIONS:
        op.route(app)

"""``/api/supervisor/spy``: a supervisor listens to, whispers to or barges into an agent's
call from his phone, switches mode, and stops (supervisor or admin; each action audited).

The phone rung is the one given in the body, else the one on the supervisor's user
(``PATCH /api/users/{name}`` ``{"phone"}``, ``atende user phone``). The answer is 202 once
Asterisk has queued the call to his phone; ``GET`` shows how it went (``ringing``,
``spying``, ``ended`` with a reason).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ValidationError

from acd.app.ports import ConfigStore
from acd.app.spy_on_call import spy_on_call
from acd.app.spying import SpyIn, SpyOut, SpySession, SpyUnavailable
from acd.app.stop_spy import stop_spy
from acd.domain import AcdError
from acd.live.spy import CallSpy
from atende.audit import AuditEntry, AuditLog
from atende.auth import Role
from atende.user_admin import UnknownUser, UserAdmin
from atende.web.errors import ApiError, acd_error, invalid_request
from atende.web.floor_api import FLOOR
from atende.web.openapi_ops import documented
from atende.web.security import USER_STORE, Handler, allow, principal
from atende.web.sessions import client_address

SPY: web.AppKey[CallSpy] = web.AppKey("spy", CallSpy)
SPY_CONFIG: web.AppKey[ConfigStore] = web.AppKey("spy_config", object)  # type: ignore[arg-type]
SPY_AUDIT: web.AppKey[AuditLog] = web.AppKey("spy_audit", AuditLog)
SPY_AGENT: web.RequestKey[str] = web.RequestKey("spy_agent", str)
#: one spy action at a time per supervisor (two quick clicks never ring his phone twice)
SPY_LOCKS: web.AppKey[dict[str, asyncio.Lock]] = web.AppKey("spy_locks", dict)


class SpyAccepted(BaseModel):
    """The request went to Asterisk; ``spy`` is the session it started or changed."""

    status: Literal["accepted"]
    spy: SpyOut


class SpyView(BaseModel):
    """The supervisor's latest spy session (null: none since the engine started)."""

    spy: SpyOut | None


async def _audit(
    request: web.Request, action: str, outcome: str, target: str, details: dict[str, Any]
) -> None:
    entry = AuditEntry(
        datetime.now(UTC),
        principal(request).username,
        action,
        outcome,
        client_address(request),
        target,
        details,
    )
    await request.app[SPY_AUDIT].record(entry)


def _spy_errors(action: str) -> Callable[[Handler], Handler]:
    """Answer refusals with their code (409 ``no_call``, ``no_phone``, ``no_spy``; 404; 503
    ``asterisk_unavailable``) and audit them under ``action``."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def call(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)
            except AcdError as exc:
                await _audit(request, action, exc.code, request.get(SPY_AGENT, ""), {})
                raise acd_error(exc) from None
            except SpyUnavailable as exc:
                await _audit(request, action, "asterisk_unavailable", "", {})
                raise ApiError(503, "asterisk_unavailable", str(exc)) from None

        return call

    return wrap


async def _spy_request(request: web.Request) -> SpyIn:
    try:
        data = await request.json()
    except ValueError:
        raise ApiError(400, "invalid_json", "request body is not JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "request body must be a JSON object")
    try:
        return SpyIn.model_validate(data)
    except ValidationError as exc:
        raise invalid_request(exc) from None


async def _own_phone(request: web.Request) -> str | None:
    try:
        user = await UserAdmin(request.app[USER_STORE]).get(principal(request).username)
    except UnknownUser:
        return None
    return user.phone


def _accepted(request: web.Request, session: SpySession) -> web.Response:
    if FLOOR in request.app:  # the floor shows the session (its later states come with AMI's)
        request.app[FLOOR].changed()
    return web.json_response({"status": "accepted", "spy": session.as_dict()}, status=202)


@documented(body=SpyIn, response=SpyAccepted, refusals=(409, 503), ok=202)
@allow(Role.SUPERVISOR)
@_spy_errors("spy_started")
async def start_spy(request: web.Request) -> web.Response:
    """POST /api/supervisor/spy: ring the supervisor's phone into the agent's call (listen,
    whisper or barge); on the same agent's call a new mode switches without a new ring, the
    same request again changes nothing (audited ``unchanged``). 409 ``no_call`` when the agent
    has no call in progress, ``no_phone`` without a phone."""
    body = await _spy_request(request)
    request[SPY_AGENT] = body.agent
    spy = request.app[SPY]
    who = principal(request).username
    phone = await _own_phone(request)
    async with request.app[SPY_LOCKS].setdefault(who, asyncio.Lock()):
        before = spy.session(who)
        mode_before = None if before is None else before.mode
        session = await spy_on_call(request.app[SPY_CONFIG], spy, who, body, phone)
    kept = before is not None and before.spy_id == session.spy_id
    switched = kept and mode_before != session.mode
    action = "spy_mode_changed" if switched else "spy_started"
    outcome = "unchanged" if kept and not switched else "accepted"
    details = {"mode": session.mode, "phone": session.phone, "spy_id": session.spy_id}
    await _audit(request, action, outcome, session.agent, details)
    return _accepted(request, session)


@documented(response=SpyAccepted, refusals=(409, 503), ok=202)
@allow(Role.SUPERVISOR)
@_spy_errors("spy_stopped")
async def stop(request: web.Request) -> web.Response:
    """POST /api/supervisor/spy/stop: hang up the supervisor's spying phone; 409 ``no_spy``
    when he is not listening."""
    who = principal(request).username
    async with request.app[SPY_LOCKS].setdefault(who, asyncio.Lock()):
        session = await stop_spy(request.app[SPY], who)
    details = {"spy_id": session.spy_id, "mode": session.mode}
    await _audit(request, "spy_stopped", "accepted", session.agent, details)
    return _accepted(request, session)


@documented(response=SpyView)
@allow(Role.SUPERVISOR)
async def current(request: web.Request) -> web.Response:
    """GET /api/supervisor/spy: the supervisor's latest spy session and its state."""
    session = request.app[SPY].last(principal(request).username)
    return web.json_response({"spy": None if session is None else session.as_dict()})


def add_spy_routes(app: web.Application, spy: CallSpy | None, config: ConfigStore | None) -> None:
    """Register the spy endpoints when the engine runs a spy adapter and an ACD store."""
    if spy is None or config is None:
        return
    app[SPY] = spy
    app[SPY_CONFIG] = config
    app[SPY_AUDIT] = AuditLog(app[USER_STORE].engine)
    app[SPY_LOCKS] = {}
    app.router.add_post("/api/supervisor/spy", start_spy)
    app.router.add_post("/api/supervisor/spy/stop", stop)
    app.router.add_get("/api/supervisor/spy", current)

"""The aiohttp application: API routes, login, and the static web pages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from aiohttp import web

from atende.auth import AuthError, Role, UserStore
from atende.web.erp_routes import register_erp
from atende.web.erp_support import ErpApi
from atende.web.errors import ApiError
from atende.web.openapi import openapi
from atende.web.operations_routes import add_reports_and_operations
from atende.web.security import USER_STORE, allow, principal, public, security_middleware

if TYPE_CHECKING:
    from acd.live import InboundAcd
    from acd.live.sql import AcdConfigStore
    from atende.operations import Operations

STATIC = Path(__file__).parent / "static"
LOGIN_TTL = timedelta(hours=12)

LiveCalls = Callable[[], Sequence[dict[str, Any]]]
LIVE_CALLS: web.AppKey[LiveCalls] = web.AppKey("live_calls", object)  # type: ignore[arg-type]


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise ApiError(400, "invalid_json", "request body is not JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "request body must be a JSON object")
    return body


@public
async def login(request: web.Request) -> web.Response:
    """POST /api/login {username, password} -> {token, role}."""
    body = await _json_body(request)
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise ApiError(400, "invalid_request", "username and password are required")
    try:
        token, who = await request.app[USER_STORE].login(username, password, LOGIN_TTL)
    except AuthError as exc:
        raise ApiError(401, "bad_credentials", str(exc)) from None
    return web.json_response({"token": token, "role": who.role.value, "username": who.username})


@allow(Role.AGENT, Role.SUPERVISOR, Role.CAMPAIGN_MANAGER)
async def me(request: web.Request) -> web.Response:
    """GET /api/me: who the token belongs to."""
    who = principal(request)
    return web.json_response({"username": who.username, "role": who.role.value})


@allow(Role.SUPERVISOR)
async def live_calls(request: web.Request) -> web.Response:
    """GET /api/calls: the live calls the engine tracks on every Asterisk server."""
    return web.json_response({"calls": list(request.app[LIVE_CALLS]())})


@public
async def page(request: web.Request) -> web.FileResponse:
    """Static pages: they hold no data; the data comes from the authenticated API."""
    name = request.match_info.get("name") or "index.html"
    path = (STATIC / name).resolve()
    if path.parent != STATIC.resolve() or not path.is_file():
        raise ApiError(404, "not_found", f"no page {name}")
    return web.FileResponse(path)


def build_app(
    users: UserStore,
    calls: LiveCalls,
    erp: ErpApi | None = None,
    *,
    acd: InboundAcd | None = None,
    acd_config: AcdConfigStore | None = None,
    ops: Operations | None = None,
    site_zone: ZoneInfo | None = None,
) -> web.Application:
    """Assemble the web application from its ports (no clients are built here)."""
    app = web.Application(middlewares=[security_middleware])
    app[USER_STORE] = users
    app[LIVE_CALLS] = calls
    app.router.add_post("/api/login", login)
    app.router.add_get("/api/me", me)
    app.router.add_get("/api/calls", live_calls)
    app.router.add_get("/api/openapi.json", openapi)
    if erp is not None:
        register_erp(app, erp)
    if acd_config is not None:
        from atende.web.acd_api import add_routes

        add_routes(app, acd, acd_config)
    add_reports_and_operations(app, acd_config, ops, site_zone)
    app.router.add_get("/", page)
    app.router.add_get("/{name}", page)
    return app

"""The aiohttp application: API routes, login, and the static web pages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from aiohttp import web

from atende.audit import AuditLog
from atende.auth import Role, UserStore
from atende.login_throttle import LoginThrottle
from atende.web.access_log import add_access_log
from atende.web.agent_api import add_routes as add_agent_routes
from atende.web.audit_trail import AUDIT
from atende.web.campaign_support import CampaignsWeb
from atende.web.campaigns_api import add_campaign_routes
from atende.web.crm_api import add_routes as add_customer_routes
from atende.web.erp_routes import register_erp
from atende.web.erp_support import ErpApi
from atende.web.errors import ApiError
from atende.web.floor_api import add_floor_routes
from atende.web.guards import MAX_BODY, json_body_limits, request_context, security_headers
from atende.web.openapi import openapi
from atende.web.operations_routes import add_reports_and_operations
from atende.web.security import USER_STORE, allow, public, security_middleware
from atende.web.sessions import SignIn, SignInPolicy
from atende.web.sessions import add_routes as add_session_routes
from atende.web.spy_api import add_spy_routes
from atende.web.users_api import add_user_routes

if TYPE_CHECKING:
    from acd.live import InboundAcd
    from acd.live.spy import CallSpy
    from acd.live.sql import AcdConfigStore
    from atende.desk.service import AgentDesk
    from atende.floor import FloorHub
    from atende.operations import Operations
    from crm_sync.app.customer_views import CustomerViews

STATIC = Path(__file__).parent / "static"
# the only files the static route serves: names never reach the filesystem otherwise
PAGES = frozenset(p.name for p in STATIC.iterdir() if p.is_file())

LiveCalls = Callable[[], Sequence[dict[str, Any]]]
LIVE_CALLS: web.AppKey[LiveCalls] = web.AppKey("live_calls", object)  # type: ignore[arg-type]


@allow(Role.SUPERVISOR)
async def live_calls(request: web.Request) -> web.Response:
    """GET /api/calls: the live calls the engine tracks on every Asterisk server."""
    return web.json_response({"calls": list(request.app[LIVE_CALLS]())})


@public
async def page(request: web.Request) -> web.FileResponse:
    """Static pages: they hold no data; the data comes from the authenticated API."""
    name = request.match_info.get("name") or "index.html"
    if name not in PAGES:
        raise ApiError(404, "not_found", "no such page")
    return web.FileResponse(STATIC / name)


def build_app(
    users: UserStore,
    calls: LiveCalls,
    erp: ErpApi | None = None,
    *,
    acd: InboundAcd | None = None,
    acd_config: AcdConfigStore | None = None,
    sign_in: SignInPolicy | None = None,
    ops: Operations | None = None,
    site_zone: ZoneInfo | None = None,
    customers: CustomerViews | None = None,
    access_log: bool = True,
    spy: CallSpy | None = None,
    campaigns: CampaignsWeb | None = None,
    desk: AgentDesk | None = None,
    floor: FloorHub | None = None,
) -> web.Application:
    """Assemble the web application from its ports (no clients are built here).

    The password worker threads of ``users`` are stopped when the application is cleaned up.
    """
    app = web.Application(
        middlewares=[request_context, security_middleware, json_body_limits],
        client_max_size=MAX_BODY,
    )
    app.on_response_prepare.append(security_headers)
    app[USER_STORE] = users
    app[LIVE_CALLS] = calls
    policy = sign_in or SignInPolicy()
    app[AUDIT] = AuditLog(users.engine)
    add_session_routes(app, SignIn(policy, app[AUDIT], LoginThrottle(policy.throttle)))
    app.router.add_get("/api/calls", live_calls)
    app.router.add_get("/api/openapi.json", openapi)
    if erp is not None:
        register_erp(app, erp)
    if acd_config is not None:
        from atende.web.acd_api import add_routes
        from atende.web.call_control_api import add_call_control_routes

        add_routes(app, acd, acd_config)
        add_call_control_routes(app, acd, acd_config)
    add_customer_routes(app, customers)
    add_campaign_routes(app, campaigns or CampaignsWeb(users.engine, erp=erp and erp.port))
    add_agent_routes(app, desk)
    add_floor_routes(app, floor, calls)
    add_reports_and_operations(app, acd_config, ops, site_zone)
    add_user_routes(app)
    add_spy_routes(app, spy, acd_config)
    add_access_log(app, access_log)
    app.router.add_get("/", page)
    app.router.add_get("/{name}", page)

    async def stop_password_pool(_: web.Application) -> None:
        users.close()

    app.on_cleanup.append(stop_password_pool)
    return app

"""Reports, staffing and operations endpoints, registered on the app in one call."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from aiohttp import web

from atende.web.errors import ApiError
from atende.web.ops_api import add_ops_routes
from atende.web.reports_api import ReportSource, add_report_routes
from atende.web.security import public
from atende.web.staffing_api import add_staffing_routes

if TYPE_CHECKING:
    from acd.live.sql import AcdConfigStore
    from atende.operations import Operations

#: the site's time zone when none is given (reports cut days at its midnight)
DEFAULT_SITE_ZONE = ZoneInfo("America/Sao_Paulo")
VENDOR = Path(__file__).parent / "static" / "vendor"
# the only files served from it: names never reach the filesystem otherwise
VENDOR_FILES = frozenset(p.name for p in VENDOR.iterdir() if p.is_file())


@public
async def vendor_file(request: web.Request) -> web.FileResponse:
    """GET /vendor/{name}: the browser libraries shipped with the engine (no CDN)."""
    name = request.match_info["name"]
    if name not in VENDOR_FILES:
        raise ApiError(404, "not_found", "no such file")
    return web.FileResponse(VENDOR / name)


def add_reports_and_operations(
    app: web.Application,
    acd_config: AcdConfigStore | None,
    ops: Operations | None,
    site_zone: ZoneInfo | None,
) -> None:
    """``/api/reports/*`` (needs the ACD's store), ``/api/staffing``, and ``/healthz``,
    ``/readyz``, ``/metrics`` (needs the engine's operations bundle)."""
    if acd_config is not None:
        add_report_routes(
            app, ReportSource(acd_config.db, acd_config, site_zone or DEFAULT_SITE_ZONE)
        )
    add_staffing_routes(app)
    app.router.add_get("/vendor/{name}", vendor_file)
    if ops is not None:
        add_ops_routes(app, ops)

"""The HTTP access log: one ``http_request`` structlog event per request.

Each event carries the method, the path (its query with the values of secret-looking
parameters masked), the route template, the status, the duration in milliseconds, the
signed-in user (when there is one), the client address and the request id. Headers and bodies
are never logged, so neither bearer tokens, session cookies nor passwords reach the log.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

import structlog
from aiohttp import web

from atende.web.guards import REQUEST_ID
from atende.web.security import PRINCIPAL, Handler
from atende.web.sessions import client_address

log = structlog.get_logger("atende.web.access")

#: query parameters whose values are masked (a part of the name is enough: ``access_token``)
SECRET_PARAMS = ("token", "password", "secret", "key", "auth", "session", "signature")


def logged_path(request: web.Request) -> str:
    """The request's path, with its query's secret-looking values replaced by ``***``."""
    if not request.query:
        return request.path
    pairs = [
        (name, "***" if any(s in name.lower() for s in SECRET_PARAMS) else value)
        for name, value in request.query.items()
    ]
    return f"{request.path}?{urlencode(pairs)}"


def _route(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def access_log(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Log the request once it is answered (the outermost middleware: refusals included)."""
    began = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        who = request.get(PRINCIPAL)
        log.info(
            "http_request",
            method=request.method,
            path=logged_path(request),
            route=_route(request),
            status=status,
            duration_ms=round((time.perf_counter() - began) * 1000, 1),
            user=who.username if who is not None else None,
            address=client_address(request),
            request_id=request.get(REQUEST_ID),
        )


def add_access_log(app: web.Application, enabled: bool = True) -> None:
    """Put the access log outermost on ``app`` (``ATENDE_HTTP_ACCESS_LOG``)."""
    if enabled:
        app.middlewares.insert(0, access_log)

"""The HTTP access log: one ``http_request`` structlog event per request.

Each event carries the method, the path (its query with every value masked but those of a
few plain parameters: dates, intervals, formats), the route template, the status, the
duration in milliseconds, the signed-in user (when there is one), the client address and the
request id. Headers and bodies are never logged, so neither bearer tokens, session cookies,
passwords nor customers' data in a search reach the log.
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

#: query parameters whose values are logged (dates, intervals, formats, ids); every other
#: value (a token, a search for a customer's CPF or phone) is masked
PLAIN_PARAMS = frozenset(
    {"from", "to", "interval", "format", "queue", "agent", "limit", "offset", "page", "lang"}
)


def logged_path(request: web.Request) -> str:
    """The request's path; its query keeps the values of :data:`PLAIN_PARAMS` only, the
    others are replaced by ``***``."""
    if not request.query:
        return request.path
    pairs = [
        (name, value if name in PLAIN_PARAMS else "***") for name, value in request.query.items()
    ]
    return f"{request.path}?{urlencode(pairs, safe='*')}"


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

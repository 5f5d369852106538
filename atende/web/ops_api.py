"""``/healthz`` (process up), ``/readyz`` (dependencies, with reasons) and ``/metrics``.

``/healthz`` and ``/readyz`` answer without a token (load balancers, orchestrators) and say
nothing secret; ``/metrics`` takes a supervisor's or admin's bearer token like every API call
(Prometheus: ``authorization: {credentials_file: ...}`` with a token from ``atende token``).
"""

from __future__ import annotations

import time

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from atende.auth import Role
from atende.operations import Operations
from atende.web.security import Handler, allow, public

OPERATIONS: web.AppKey[Operations] = web.AppKey("operations", Operations)


@public
async def healthz(request: web.Request) -> web.Response:
    """GET /healthz: 200 while the process serves HTTP."""
    return web.json_response({"status": "up"})


@public
async def readyz(request: web.Request) -> web.Response:
    """GET /readyz: 200 when every dependency answers, else 503; each check with its reason."""
    checks = await request.app[OPERATIONS].readiness.checks()
    ready = all(c.ok for c in checks)
    return web.json_response(
        {"status": "ready" if ready else "not_ready", "checks": [c.as_dict() for c in checks]},
        status=200 if ready else 503,
    )


@allow(Role.SUPERVISOR)
async def metrics(request: web.Request) -> web.Response:
    """GET /metrics: Prometheus text format."""
    body = await request.app[OPERATIONS].metrics.exposition()
    response = web.Response(body=body)
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response


@web.middleware
async def http_latency(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Observe each request's duration by method, route template and status."""
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
        info = request.match_info
        route = info.route.resource.canonical if info.route.resource is not None else "unmatched"
        request.app[OPERATIONS].metrics.http_latency.labels(
            request.method, route, str(status)
        ).observe(time.perf_counter() - began)


def add_ops_routes(app: web.Application, ops: Operations) -> None:
    """Register the three endpoints (before any catch-all page route) and the latency
    middleware (outermost, so refused requests are timed too)."""
    app[OPERATIONS] = ops
    app.middlewares.insert(0, http_latency)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)

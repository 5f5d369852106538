"""``GET /api/campaigns/{campaign}/figures/events``: a campaign's live figures pushed to the
campaign manager's page as Server-Sent Events (a client that does not accept
``text/event-stream`` gets the figures once, as JSON).

The first ``figures`` event carries the figures at once; another follows each time they change
(the dialer's in-memory figures are looked at every half second, stored ones every two seconds);
a comment keeps the connection open through proxies when nothing changes. The session is
checked again every minute (a revoked token ends the stream) and every stream ends when the
web app shuts down.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import asdict

import structlog
from aiohttp import web

from atende.auth import AuthError, Role
from atende.web.campaign_support import campaign_errors, campaign_id, ctx
from atende.web.openapi_ops import Operation
from atende.web.security import TOKEN, USER_STORE, allow, principal
from campaigns.app.campaign_figures import campaign_figures
from campaigns.port import CampaignFigures

log = structlog.get_logger("atende.web")

LIVE_EVERY = 0.5
STORED_EVERY = 2.0
KEEP_ALIVE = 15.0
SESSION_RECHECK = 60.0
CLOSING: web.AppKey[asyncio.Event] = web.AppKey("campaign_streams_closing", asyncio.Event)


def _event(data: str) -> bytes:
    return f"event: figures\ndata: {data}\n\n".encode()


@allow(Role.CAMPAIGN_MANAGER)
@campaign_errors
async def figures_events(request: web.Request) -> web.StreamResponse:
    """GET /api/campaigns/{campaign}/figures/events: the campaign's figures as Server-Sent
    Events (``event: figures``, the JSON of ``GET .../figures``), sent at once and on every
    change."""
    c, ident = ctx(request), campaign_id(request)
    figures = await campaign_figures(c.campaigns, c.lists, c.figures, ident)  # 404 first
    if "text/event-stream" not in request.headers.get("Accept", ""):
        return web.json_response(asdict(figures))
    closing = request.app[CLOSING]
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    who = principal(request).username
    log.info("campaign_figures_stream_opened", campaign=ident, user=who)
    loop = asyncio.get_running_loop()
    last, sent_at, checked_at = "", loop.time(), loop.time()
    try:
        while True:
            data = json.dumps(asdict(figures), sort_keys=True)
            if data != last:
                await response.write(_event(data))
                last, sent_at = data, loop.time()
            elif loop.time() - sent_at >= KEEP_ALIVE:
                await response.write(b": keep-alive\n\n")
                sent_at = loop.time()
            if loop.time() - checked_at >= SESSION_RECHECK:
                await request.app[USER_STORE].authenticate(request[TOKEN])
                checked_at = loop.time()
            every = LIVE_EVERY if figures.source == "dialer" else STORED_EVERY
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(every):
                    await closing.wait()
            if closing.is_set():
                break
            figures = await campaign_figures(c.campaigns, c.lists, c.figures, ident)
    except (ConnectionError, AuthError) as exc:  # the page went away, or the session ended
        log.info("campaign_figures_stream_ended", campaign=ident, user=who, why=type(exc).__name__)
    return response


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET", "/api/campaigns/{campaign}/figures/events", figures_events,
        response=CampaignFigures, params={"campaign": int}, tags=("campaigns",),
    ),
)  # fmt: skip


def end_streams_at_shutdown(app: web.Application) -> None:
    """The streams end when the app shuts down."""
    app[CLOSING] = asyncio.Event()

    async def close_streams(app: web.Application) -> None:
        app[CLOSING].set()

    app.on_shutdown.append(close_streams)

"""``GET /api/floor/ws``: the supervisor's live floor, pushed over a WebSocket.

The page signs in with its session cookie (supervisor or admin). Server -> page, JSON:
``{"type": "snapshot", "seq", "at", "floor": {section: {key: row}}}`` first, then
``{"type": "changes", "seq", "at", "upsert": {section: {key: row}}, "remove": {section: [key]}}``
(``at``: the engine's clock, epoch seconds, for the page's clocks). Sections: ``agents``,
``queues``, ``waiting`` (the ACD's callers), ``calls`` (every live call on every Asterisk),
``links`` (each Asterisk server, Redis, the ACD: ``up``, ``since`` when down), ``period``,
``spies`` (each supervisor's spy session ringing or in progress, keyed by supervisor).
Page -> server: ``{"type": "ping"}`` -> ``{"type": "pong"}``.

A session that expires or is signed out closes the socket with code 4401; a page that falls
too far behind is closed with 1013 (it reconnects and gets a new snapshot).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import structlog
from aiohttp import WSMsgType, web

from atende.auth import AuthError, Role
from atende.floor import FloorClient, FloorHub
from atende.web.security import TOKEN, USER_STORE, allow, check_same_origin, principal

log = structlog.get_logger("atende.web.floor")

FLOOR: web.AppKey[FloorHub] = web.AppKey("floor", FloorHub)
SESSION_EXPIRED = 4401
TOO_SLOW = 1013


async def _read(ws: web.WebSocketResponse) -> None:
    """Answer the page's pings until it goes away."""
    async for msg in ws:
        if msg.type is WSMsgType.TEXT:
            with contextlib.suppress(ValueError):
                data = json.loads(msg.data)
                if isinstance(data, dict) and data.get("type") == "ping":
                    await ws.send_str('{"type":"pong"}')


async def _send(ws: web.WebSocketResponse, client: FloorClient) -> None:
    """Send the hub's messages; close when the hub dropped the page."""
    while True:
        message = await client.queue.get()
        if message is None:
            await ws.close(code=TOO_SLOW, message=b"too far behind")
            return
        await ws.send_str(message)


async def _check_session(request: web.Request, ws: web.WebSocketResponse, every: float) -> None:
    """Close the socket once the page's session is signed out or expired."""
    while True:
        await asyncio.sleep(every)
        try:
            await request.app[USER_STORE].authenticate(request[TOKEN])
        except AuthError:
            await ws.close(code=SESSION_EXPIRED, message=b"session expired")
            return


@allow(Role.SUPERVISOR)
async def floor_socket(request: web.Request) -> web.StreamResponse:
    """GET /api/floor/ws: the live floor as a stream of changes (WebSocket)."""
    check_same_origin(request)
    hub = request.app[FLOOR]
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=4096)
    await ws.prepare(request)
    client = hub.join()
    who = principal(request).username
    log.info("floor_page_joined", user=who, pages=len(hub.clients))
    tasks = {
        asyncio.create_task(_read(ws), name="floor-page-reader"),
        asyncio.create_task(_send(ws, client), name="floor-page-sender"),
        asyncio.create_task(
            _check_session(request, ws, hub.session_recheck), name="floor-page-session"
        ),
    }
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        hub.leave(client)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await task
        await ws.close()
        log.info("floor_page_left", user=who, pages=len(hub.clients))
    return ws


def add_floor_routes(
    app: web.Application, hub: FloorHub | None, calls: Callable[[], Iterable[dict[str, Any]]]
) -> None:
    """``/api/floor/ws`` on the engine's hub; without one (a bare web app), a hub of its own
    that shows ``calls`` only, run with the app. The sockets close at shutdown."""
    if hub is None:
        own = FloorHub(lambda: {"calls": {f"{c['server']}/{c['linkedid']}": c for c in calls()}})

        async def run_own(_: web.Application) -> AsyncIterator[None]:
            task = asyncio.create_task(own.run(), name="floor")
            yield
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

        app.cleanup_ctx.append(run_own)
        hub = own
    app[FLOOR] = hub
    floor = hub

    async def close_pages(_: web.Application) -> None:
        floor.close()

    app.on_shutdown.append(close_pages)
    app.router.add_get("/api/floor/ws", floor_socket)

"""``GET /api/agent/ws``: the agent desktop's WebSocket (the page's session cookie, role agent).

Server to client, JSON: ``state`` (as ``/api/agent/me``) at once and on every change,
``offer`` when the ACD reserves the agent for a call (before his phone rings) with the
customer's view or the candidates, ``view`` when the call's customer view changes. Client to
server: ``{"type": "ping"}`` answered ``{"type": "pong"}``. An agent gets only his own events.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import structlog
from aiohttp import WSMsgType, web

from atende.auth import Role
from atende.web.agent_api import desk_of, signed_in_agent
from atende.web.security import allow, check_same_origin

log = structlog.get_logger("atende.web.agent_ws")

MAX_MESSAGE = 4096


@allow(Role.AGENT)
async def desk_socket(request: web.Request) -> web.StreamResponse:
    """GET /api/agent/ws: the agent's live feed over a WebSocket (state, offers, views)."""
    check_same_origin(request)  # a page of another site may not open it with our cookie
    agent_id = await signed_in_agent(request)
    desk = desk_of(request)
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=MAX_MESSAGE)
    await ws.prepare(request)
    queue = desk.connect(agent_id)
    queue.put_nowait({"type": "state", **desk.status(agent_id).model_dump(mode="json")})
    sender = asyncio.create_task(_send(ws, queue), name=f"agent-ws-{agent_id}")
    log.info("desk_socket_opened", agent=agent_id)
    try:
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                continue
            with contextlib.suppress(ValueError):
                if json.loads(message.data).get("type") == "ping":
                    with contextlib.suppress(asyncio.QueueFull):
                        queue.put_nowait({"type": "pong"})
    finally:
        desk.disconnect(agent_id, queue)
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender
        log.info("desk_socket_closed", agent=agent_id)
    return ws


async def _send(ws: web.WebSocketResponse, queue: asyncio.Queue[dict[str, Any]]) -> None:
    """Send the queued messages in order (a state equal to the last one sent is skipped)."""
    last_state: dict[str, Any] | None = None
    while True:
        message = await queue.get()
        if message.get("type") == "overflow":
            await ws.close(code=1013, message=b"too far behind; reconnect")
            return
        if message.get("type") == "state":
            same = {k: v for k, v in message.items() if k != "seq"}
            if same == last_state:
                continue
            last_state = same
        try:
            await ws.send_json(message)
        except (ConnectionError, RuntimeError):
            return

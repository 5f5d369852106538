"""A web app holding the hand-written evening of queue log, for the report endpoints and page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
from aiohttp import web

from acd.live.sql import AcdConfigStore
from atende.auth import Role, UserStore
from atende.db import make_engine
from atende.web.app import build_app
from atende.web.reports_api import REPORT_SOURCE
from tests.reports.evening import QUEUES, SITE, evening, local

PASSWORD = "a-long-password-1"


@dataclass
class Server:
    base: str
    tokens: dict[str, str]
    http: aiohttp.ClientSession

    async def get(self, path: str, role: str | None = "supervisor") -> aiohttp.ClientResponse:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        resp = await self.http.get(self.base + path, headers=headers)
        await resp.read()
        return resp

    async def post(self, path: str, body: Any, role: str = "supervisor") -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"}
        async with self.http.post(self.base + path, json=body, headers=headers) as resp:
            return resp.status, await resp.json()


@asynccontextmanager
async def report_server(database_url: str) -> AsyncIterator[Server]:
    """The web app with the evening's queues and queue log stored; 'today' is 2026-03-10.
    Users: one per role, named after it, password ``PASSWORD``."""
    db = make_engine(database_url)
    config = AcdConfigStore(db)
    for queue in QUEUES.values():
        await config.save_queue(queue)
    await config.append_log(evening())
    users = UserStore(db)
    tokens = {}
    for role in Role:
        await users.create_user(role.value, PASSWORD, role)
        tokens[role.value] = await users.issue_token(await users.user_id(role.value), "t", None)
    app = build_app(users, list, acd_config=config, site_zone=SITE)
    app[REPORT_SOURCE] = replace(app[REPORT_SOURCE], clock=lambda: local("23:00").timestamp())
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    http = aiohttp.ClientSession()
    try:
        yield Server(f"http://127.0.0.1:{runner.addresses[0][1]}", tokens, http)
    finally:
        await http.close()
        await runner.cleanup()
        await db.dispose()

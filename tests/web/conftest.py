"""Fixtures for the web tests: the engine's web app on a real port and headless Chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from atende.auth import Role, UserStore
from atende.db import make_engine
from atende.web.app import build_app
from atende.wiring import Engine
from telephony.twin import Twin

PASSWORDS = {
    "agent": "agent-pass-1",
    "supervisor": "supervisor-pass-1",
    "campaign_manager": "campaign-pass-1",
    "admin": "admin-pass-1",
}


@dataclass
class WebServer:
    """A running web app and the users seeded in its database."""

    url: str
    users: UserStore
    calls: list[dict[str, Any]] = field(default_factory=list)


async def start_web(
    database_url: str, calls: Callable[[], Sequence[dict[str, Any]]]
) -> tuple[web.AppRunner, str, UserStore, Any]:
    """Start the web app on an ephemeral port with one user per role."""
    engine = make_engine(database_url)
    users = UserStore(engine)
    for role in Role:
        await users.create_user(role.value, PASSWORDS[role.value], role)
    runner = web.AppRunner(build_app(users, calls))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}", users, engine


@pytest.fixture
async def web_server(database_url: str) -> AsyncIterator[WebServer]:
    """The web app over real HTTP, on SQLite and PostgreSQL."""
    holder: list[dict[str, Any]] = []
    runner, url, users, engine = await start_web(database_url, lambda: holder)
    server = WebServer(url, users, holder)
    try:
        yield server
    finally:
        await runner.cleanup()
        await engine.dispose()


@dataclass
class EngineSite:
    """A whole engine on its twin, its web address and a bearer token per user."""

    engine: Engine
    twin: Twin
    base: str
    tokens: dict[str, str]
    http: aiohttp.ClientSession

    async def call(self, method: str, path: str, user: str, body: Any = None) -> tuple[int, Any]:
        """One request as ``user``; the status and the JSON body."""
        headers = {"Authorization": f"Bearer {self.tokens[user]}"}
        async with self.http.request(method, self.base + path, json=body, headers=headers) as r:
            return r.status, await r.json()

"""The web app with the campaign endpoints on a real port, a user per role, and a client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from atende.auth import Role, UserStore
from atende.db import make_engine
from atende.web.app import build_app
from atende.web.campaign_support import CampaignsWeb

PASSWORD = "campaign-pass-1"


@dataclass
class Client:
    """HTTP with a bearer token per role."""

    base: str
    tokens: dict[str, str]
    http: aiohttp.ClientSession
    campaigns: CampaignsWeb
    engine: AsyncEngine

    async def call(
        self, method: str, path: str, body: Any = None, role: str | None = "campaign_manager"
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        async with self.http.request(method, self.base + path, json=body, headers=headers) as r:
            text = await r.text()
            kind = r.headers.get("Content-Type", "")
            return r.status, (await r.json()) if "json" in kind else text

    async def upload(
        self, list_name: str, name: str, data: bytes, query: str = "",
        role: str = "campaign_manager",
    ) -> tuple[int, Any]:  # fmt: skip
        form = aiohttp.FormData()
        form.add_field("file", data, filename=name, content_type="text/csv")
        headers = {"Authorization": f"Bearer {self.tokens[role]}"}
        url = f"{self.base}/api/campaigns/lists/{list_name}/uploads{query}"
        async with self.http.post(url, data=form, headers=headers) as r:
            return r.status, await r.json()

    async def finished(self, upload_id: int) -> dict[str, Any]:
        """The upload once its load has ended (polled, no time asserted)."""
        for _ in range(600):
            status, body = await self.call("GET", f"/api/campaigns/uploads/{upload_id}")
            assert status == 200, body
            if body["status"] != "running":
                return dict(body)
            await asyncio.sleep(0.05)
        raise AssertionError(f"upload {upload_id} still running")


@asynccontextmanager
async def campaign_server(database_url: str, erp: Any = None) -> AsyncIterator[Client]:
    """The engine's web app on ``database_url`` (migrated) with one user per role; ``erp``
    (a factory of the ERP port on the engine) for the telecobrança lists."""
    engine = make_engine(database_url)
    users = UserStore(engine)
    tokens = {}
    for role in Role:
        await users.create_user(role.value, PASSWORD, role)
        tokens[role.value] = await users.issue_token(await users.user_id(role.value), "t", None)
    campaigns = CampaignsWeb(engine, erp=erp(engine) if erp else None)
    runner = web.AppRunner(build_app(users, list, campaigns=campaigns))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    http = aiohttp.ClientSession()
    try:
        yield Client(f"http://127.0.0.1:{runner.addresses[0][1]}", tokens, http, campaigns, engine)
    finally:
        await http.close()
        await runner.cleanup()
        await engine.dispose()

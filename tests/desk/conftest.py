"""The agent desktop on the whole engine: a product twin over TCP, real Redis (ACD state and
customer-view cache), the small ERP world of the customer-view tests, two agents with users."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from acd.domain import DispositionCode, QueueConfig
from atende.auth import Role
from atende.wiring import Engine
from erp_bridge.embedded.seed import add_records
from telephony.twin import Twin
from tests.conftest import REDIS_URL, migrated_sqlite
from tests.crm.conftest import world
from tests.integration.acd_stack import acd_settings, product_twin, seed_acd

PASSWORD = "a-long-password-1"
CODES = (
    DispositionCode(code="sale", label="Venda"),
    DispositionCode(code="no_interest", label="Sem interesse"),
)
MARIA = "5521991234567"  # one customer: 000002-01
BAKERY = "5511987654321"  # two stores of one customer: 000001-01 and 000001-02
SALES_DID = "1133330001"
SUPPORT_DID = "1133330002"
DEADLINE = 40.0


def queues() -> list[QueueConfig]:
    """vendas: codes and 30 s of wrap-up; suporte: no codes, no wrap-up. Long rings (the
    twin's phones answer after a few seconds of real time)."""
    return [
        QueueConfig(
            name="vendas",
            skills={"sales": 1},
            wrap_up_seconds=30,
            ring_timeout=200,
            dispositions=CODES,
        ),
        QueueConfig(name="suporte", skills={"support": 1}, ring_timeout=200),
        QueueConfig(name="cobranca", skills={"billing": 1}),
        QueueConfig(name="retencao", skills={"retention": 1}),
    ]


@dataclass
class Person:
    """A signed-in user with a cookie session, as the pages have."""

    base: str
    http: aiohttp.ClientSession

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """A request with the page's session cookie and CSRF header."""
        headers = {"X-Requested-With": "atende"}
        async with self.http.request(method, self.base + path, json=body, headers=headers) as r:
            return r.status, await r.json()

    async def me_until(self, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """``/api/agent/me`` read again until ``wanted(me)`` (generous deadline, not a timing)."""
        async with asyncio.timeout(DEADLINE):
            while True:
                status, me = await self.call("GET", "/api/agent/me")
                assert status == 200, me
                if wanted(me):
                    return dict(me)
                await asyncio.sleep(0.1)


@dataclass
class Socket:
    """The agent's WebSocket and every message it received."""

    ws: aiohttp.ClientWebSocketResponse
    seen: list[dict[str, Any]] = field(default_factory=list)

    async def until(self, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The next message matching ``wanted`` (generous deadline, not a timing check)."""
        async with asyncio.timeout(DEADLINE):
            while True:
                message = await self.ws.receive()
                assert message.type is aiohttp.WSMsgType.TEXT, message
                data: dict[str, Any] = json.loads(message.data)
                self.seen.append(data)
                if wanted(data):
                    return data


@dataclass
class Desk:
    """The running engine and twin, and people who sign in."""

    engine: Engine
    twin: Twin
    base: str
    sessions: list[aiohttp.ClientSession] = field(default_factory=list)

    async def sign_in(self, username: str) -> Person:
        """A browser-like session (cookie jar) signed in as ``username``."""
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.sessions.append(http)
        body = {"username": username, "password": PASSWORD, "session": "cookie"}
        async with http.post(self.base + "/api/login", json=body) as resp:
            assert resp.status == 200, await resp.text()
        return Person(self.base, http)

    async def socket(self, person: Person) -> Socket:
        """The agent's WebSocket, opened with his session cookie."""
        ws = await person.http.ws_connect(self.base + "/api/agent/ws")
        return Socket(ws)


@pytest.fixture
async def desk(tmp_path: Path, redis_prefix: str) -> AsyncIterator[Desk]:
    """Twin + engine; agent 2001 (sales) is user ana, 2002 (support) is bia; sup is a
    supervisor. Nobody is logged in to the ACD."""
    async with running_desk(tmp_path, redis_prefix) as running:
        yield running


@asynccontextmanager
async def running_desk(
    tmp_path: Path, redis_prefix: str, **settings_extra: Any
) -> AsyncIterator[Desk]:
    """The :func:`desk` fixture's stack, with more engine settings."""
    url = migrated_sqlite(tmp_path / "desk.db")
    await seed_acd(url, queues(), {"2001": {"sales": 3}, "2002": {"support": 3}})
    twin = product_twin(0.05)
    port = await twin.start()
    settings = acd_settings(
        port,
        url,
        acd_login_on_start=False,
        redis_url=REDIS_URL,
        redis_key_prefix=redis_prefix,
        **settings_extra,
    )
    engine = Engine(settings)
    await engine.start()
    await add_records(engine.db, world())
    twin.pbx.agi_address = ("127.0.0.1", engine.agi.port)
    for name, role in (("ana", Role.AGENT), ("bia", Role.AGENT), ("sup", Role.SUPERVISOR)):
        await engine.users.create_user(name, PASSWORD, role)
    await engine.acd_config.save_agent("2001", username="ana")
    await engine.acd_config.save_agent("2002", username="bia")
    assert engine.acd is not None
    await engine.acd.wait_ready(30)
    running = Desk(engine, twin, f"http://127.0.0.1:{engine.http_port}")
    try:
        yield running
    finally:
        for http in running.sessions:
            await http.close()
        await engine.stop()
        await twin.stop()

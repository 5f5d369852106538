"""Fixtures for the ACD adapters: a product twin and an engine with seeded queues and agents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from atende.auth import Role
from atende.wiring import Engine
from telephony.twin import Twin
from tests.integration.acd_stack import acd_settings, four_queues, product_twin, seed_acd
from tests.integration.conftest import eventually

PASSWORD = "a-long-password-1"
#: a supervisor's phone in the twin (it answers): listening to a call rings it
SPY_PHONE = "Local/3001@agents"


@dataclass
class Api:
    """The engine's HTTP API with one bearer token per role."""

    engine: Engine
    twin: Twin
    base: str
    tokens: dict[str, str]
    http: aiohttp.ClientSession

    async def call(
        self, method: str, path: str, role: str = "admin", body: Any = None
    ) -> tuple[int, Any]:
        """Send a request as ``role`` and return (status, JSON body)."""
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        async with self.http.request(method, self.base + path, json=body, headers=headers) as resp:
            return resp.status, await resp.json()


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[Api]:
    """Twin + engine on ``database_url``; agent 2001 belongs to the user ``agent``."""
    await seed_acd(database_url, four_queues(), {"2001": {"sales": 3}, "2002": {"support": 2}})
    twin = product_twin(0.05)
    port = await twin.start()
    engine = Engine(acd_settings(port, database_url, acd_login_on_start=False))
    await engine.start()
    twin.pbx.agi_address = ("127.0.0.1", engine.agi.port)
    tokens = {}
    for role in ("agent", "agent2", "supervisor", "campaign_manager", "admin"):
        kind = Role.AGENT if role == "agent2" else Role(role)
        await engine.users.create_user(role, PASSWORD, kind)
        tokens[role] = await engine.users.issue_token(await engine.users.user_id(role), "t", None)
    await engine.acd_config.save_agent("2001", username="agent")
    http = aiohttp.ClientSession()
    try:
        yield Api(engine, twin, f"http://127.0.0.1:{engine.http_port}", tokens, http)
    finally:
        await http.close()
        await engine.stop()
        await twin.stop()


async def agent_on_a_call(api: Api) -> str:
    """Agent 2001 logs in and takes a sales caller; his bridged leg's name."""
    status, _ = await api.call("POST", "/api/acd/agents/2001/login", "supervisor")
    assert status == 200
    api.twin.set_agent_phone("Local/2001@agents", answer=True, delay=0.5)
    caller = await api.twin.place_inbound_call("1133330001", "5511999990001", "Maria")
    assert caller is not None

    def bridged() -> list[str]:
        return [
            c.name
            for c in api.twin.channels()
            if c.name.startswith("Local/2001@agents-") and c.bridge
        ]

    await eventually(lambda: len(bridged()) == 1, timeout=15)
    leg = bridged()[0]
    await eventually(lambda: api.engine.spy.agent_leg("Local/2001@agents") == leg)
    return leg

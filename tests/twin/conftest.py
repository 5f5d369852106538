"""Fixtures for the twin's tests: a twin on an ephemeral port and its engine-side peers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from telephony.twin import Twin, TwinConfig
from tests.twin.client import AmiClient, FastAgiServer, route_to_queue

SCALE = 0.02


@pytest.fixture
async def agi_server() -> AsyncIterator[FastAgiServer]:
    """A FastAGI server playing the engine's IVR (answer, set ROUTE, done)."""
    server = FastAgiServer(route_to_queue)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def twin(agi_server: FastAgiServer) -> AsyncIterator[Twin]:
    """A twin with the lab and product dialplans, time running 50 times faster."""
    assert agi_server.server is not None
    port = agi_server.server.sockets[0].getsockname()[1]
    t = Twin(
        TwinConfig(agi_address=("127.0.0.1", port), time_scale=SCALE, login_failure_delay=0.01)
    )
    await t.start()
    yield t
    await t.stop()


@pytest.fixture
async def ami(twin: Twin) -> AsyncIterator[AmiClient]:
    """An AMI client logged in as the engine's default user."""
    client = AmiClient()
    await client.connect(twin.port)
    response = await client.login()
    assert response["Response"] == "Success"
    yield client
    await client.close()

"""The engine and the Asterisk twin, each on its own real TCP ports, in one test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from atende.settings import AmiServer, Settings, load_settings
from atende.wiring import Engine
from telephony.twin import AmiUser, Twin, TwinConfig
from tests.conftest import migrated_sqlite

TIME_SCALE = 0.1


@dataclass
class Stack:
    """A running twin and a running engine linked to it."""

    twin: Twin
    engine: Engine
    settings: Settings


def engine_settings(twin_port: int, database_url: str, secret: str = "atende") -> Settings:
    """Engine settings pointing at a twin on ``twin_port``, every other port ephemeral."""
    return load_settings(
        database_url=database_url,
        ami_servers=[AmiServer(name="pbx1", port=twin_port, username="atende", secret=secret)],
        agi_port=0,
        http_port=0,
        ami_action_timeout=5.0,
        ami_reconnect_max_delay=0.5,
    )


async def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:  # noqa: ASYNC109
    """Wait until ``check()`` holds (the engine follows the twin asynchronously)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {check.__doc__ or check}")
        await asyncio.sleep(0.05)


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    """Twin (AMI on an ephemeral port) + engine (SQLite file) wired to each other."""
    twin = Twin(TwinConfig(ami_port=0, users={"atende": AmiUser("atende")}, time_scale=TIME_SCALE))
    port = await twin.start()
    settings = engine_settings(port, migrated_sqlite(tmp_path / "engine.db"))
    engine = Engine(settings)
    await engine.start()
    twin.pbx.agi_address = ("127.0.0.1", engine.agi.port)
    await engine.link.wait_synced(timeout=10)
    try:
        yield Stack(twin, engine, settings)
    finally:
        await engine.stop()
        await twin.stop()

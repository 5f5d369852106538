"""An offer made while the AMI link is down never reached the phone: after the resync it is taken
back with no penalty and rung anew with a fresh ring timer (through the twin, at real time)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from acd.domain import QueueConfig
from atende.wiring import Engine
from telephony.twin import Twin
from tests.conftest import migrated_sqlite
from tests.integration.acd_stack import acd_settings, product_twin, seed_acd
from tests.integration.conftest import eventually
from tests.integration.tcp_proxy import CuttableProxy

OUTAGE = 7.5  # seconds: past the router's ring timeout (1 s) + 5 s
VENDAS = "1133330001"


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[tuple[Twin, Engine, CuttableProxy]]:
    """Queue vendas (ring timeout 1 s), agent 2001; the engine's AMI link through a proxy."""
    url = migrated_sqlite(tmp_path / "acd.db")
    await seed_acd(
        url,
        [QueueConfig(name="vendas", skills={"sales": 1}, ring_timeout=1)],
        {"2001": {"sales": 3}},
    )
    twin = product_twin(1.0)
    proxy = CuttableProxy(await twin.start())
    engine = Engine(acd_settings(await proxy.start(), url, acd_no_answer_pause=60))
    await engine.start()
    twin.pbx.agi_address = ("127.0.0.1", engine.agi.port)
    try:
        assert engine.acd is not None
        await engine.acd.wait_ready()
        yield twin, engine, proxy
    finally:
        await engine.stop()
        await proxy.stop()
        await twin.stop()


async def test_an_offer_made_while_the_link_is_down_rings_anew(
    stack: tuple[Twin, Engine, CuttableProxy],
) -> None:
    """A caller waits while 2001 is paused; the link is cut and 2001 unpaused: the offer's
    actions cannot reach Asterisk. The cut lasts longer than the router's ring timer. After
    the resync the offer is taken back (RINGCANCELED, no RINGNOANSWER, no "no answer" pause)
    and 2001 is rung again; he answers and talks to the caller."""
    twin, engine, proxy = stack
    assert engine.acd is not None
    acd = engine.acd
    twin.set_agent_phone("Local/2001@agents", answer=True, delay=0.5)
    await acd.pause("2001", "lunch")
    caller = await twin.place_inbound_call(VENDAS, "5511999990001", "Maria")
    assert caller is not None
    await eventually(lambda: caller.linkedid in acd.calls, timeout=20)
    proxy.cut()
    await eventually(lambda: not engine.link.connected("pbx1"), timeout=10)
    await acd.unpause("2001")
    assert acd.calls[caller.linkedid].state == "offered"  # decided, not delivered
    await asyncio.sleep(OUTAGE)
    await proxy.restore()
    await eventually(lambda: caller.linkedid in twin.answered_calls, timeout=30)
    await eventually(lambda: acd.calls[caller.linkedid].state == "connected", timeout=10)
    view = next(a for a in acd.live_view()["agents"] if a["agent"] == "2001")
    assert view["state"] == "on_call"
    await asyncio.sleep(0.5)  # the queue log reaches the database
    events = [r.event for r in await engine.acd_config.queue_log() if r.call_id == caller.linkedid]
    assert "RINGNOANSWER" not in events
    assert events.count("RINGCANCELED") == 1 and events.count("CONNECT") == 1

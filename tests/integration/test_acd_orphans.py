"""Callers the IVR could not route (engine down, or killed while they were in the IVR) wait on
hold with the dialplan's fallback ROUTE: the next engine adopts them by their DID."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import aiohttp

from acd.domain import QueueConfig
from atende.wiring import Engine
from telephony.twin import Twin
from tests.conftest import migrated_sqlite
from tests.integration.acd_process import (
    engine_env,
    engine_process,
    free_port,
    supervisor_token,
    terminate,
    wait_live,
)
from tests.integration.acd_stack import acd_settings, four_queues, product_twin, seed_acd
from tests.integration.conftest import eventually

VENDAS, SUPORTE = "1133330001", "1133330002"


def _on_hold(twin: Twin, linkedid: str) -> bool:
    return any(ch.linkedid == linkedid and ch.context == "inbound-hold" for ch in twin.channels())


async def test_callers_arriving_while_the_engine_is_down_are_queued_by_did(
    tmp_path: Path,
) -> None:
    """Five callers (suporte, vendas, suporte, vendas, suporte) arrive while nothing listens
    on the FastAGI port: the dialplan sends them all to hold with ROUTE=queue:vendas. The
    engine then starts: each is queued in his DID's queue, in arrival order, with the time he
    arrived as join time, and logged ENTERQUEUE once."""
    url = migrated_sqlite(tmp_path / "acd.db")
    await seed_acd(url, four_queues(), {})
    twin = product_twin(0.05)
    port = await twin.start()
    twin.pbx.agi_address = ("127.0.0.1", free_port())  # the engine is not there
    dids = [SUPORTE, VENDAS, SUPORTE, VENDAS, SUPORTE]
    callers = []
    try:
        for n, did in enumerate(dids):
            info = await twin.place_inbound_call(did, f"55119999940{n:02d}", "Cliente")
            assert info is not None
            callers.append(info.linkedid)
            await eventually(lambda: _on_hold(twin, callers[-1]), timeout=10)
        engine = Engine(acd_settings(port, url))
        await engine.start()
        try:
            assert engine.acd is not None
            acd = engine.acd
            await acd.wait_ready()
            await eventually(lambda: set(acd.calls) == set(callers), timeout=15)
            queues = {c: acd.calls[c].queue for c in callers}
            assert queues == {
                c: ("suporte" if did == SUPORTE else "vendas")
                for c, did in zip(callers, dids, strict=True)
            }
            assert acd.router.waiting_calls("suporte") == [callers[0], callers[2], callers[4]]
            assert acd.router.waiting_calls("vendas") == [callers[1], callers[3]]
            joined = [acd.calls[c].entered_at for c in callers]
            assert joined == sorted(joined)
            assert joined[-1] < acd.clock()
            entered = [r.call_id for r in acd.log_book.history if r.event == "ENTERQUEUE"]
            assert sorted(entered) == sorted(callers)
        finally:
            await engine.stop()
    finally:
        await twin.stop()


async def test_caller_in_the_ivr_when_the_engine_is_killed_is_served(
    tmp_path: Path, redis_prefix: str
) -> None:
    """A caller is in the IVR menu (a DID without a menu of its own: greeting, then a key)
    when the engine is SIGKILLed; the FastAGI session is cut and the dialplan puts him on hold
    with ROUTE=queue:vendas. The restarted engine adopts him and an agent answers him."""
    url = migrated_sqlite(tmp_path / "acd.db")
    await seed_acd(url, [QueueConfig(name="vendas", skills={"sales": 1})], {"2001": {"sales": 3}})
    token = await supervisor_token(url)
    twin = product_twin(1.0)  # the menu's greeting and key wait take seconds
    port = await twin.start()
    agi_port, http_port = free_port(), free_port()
    twin.pbx.agi_address = ("127.0.0.1", agi_port)
    twin.set_agent_phone("Local/2001@agents", answer=True, delay=0.5)
    env = engine_env(url, port, agi_port, http_port, redis_prefix)
    base = f"http://127.0.0.1:{http_port}"
    log = tmp_path / "engine.log"
    http = aiohttp.ClientSession()
    first = await engine_process(env, log)
    second = None
    try:
        await wait_live(http, base, token, lambda live: len(live["agents"]) == 1)
        await _pause_agent(http, base, token)
        info = await twin.place_inbound_call("1133330099", "5511999994100", "Cliente")
        assert info is not None

        def in_ivr() -> bool:
            return any(
                ch.linkedid == info.linkedid and ch.application == "AGI" for ch in twin.channels()
            )

        await eventually(in_ivr, timeout=15)
        first.send_signal(signal.SIGKILL)
        await first.wait()
        await eventually(lambda: _on_hold(twin, info.linkedid), timeout=15)
        second = await engine_process(env, log)

        def queued(live: dict[str, Any]) -> bool:
            return [c["call"] for c in live["calls"]] == [info.linkedid]

        after = await wait_live(http, base, token, queued)
        assert after["calls"][0]["queue"] == "vendas"
        await _unpause_agent(http, base, token)
        await eventually(lambda: twin.stats["1133330099"].answered_by_agent == 1, timeout=20)
    finally:
        await http.close()
        await terminate(first)
        await terminate(second)
        await twin.stop()


async def _pause_agent(http: aiohttp.ClientSession, base: str, token: str) -> None:
    await _post(http, f"{base}/api/acd/agents/2001/pause", token, {"reason": "lunch"})


async def _unpause_agent(http: aiohttp.ClientSession, base: str, token: str) -> None:
    await _post(http, f"{base}/api/acd/agents/2001/unpause", token, {})


async def _post(http: aiohttp.ClientSession, url: str, token: str, body: dict[str, Any]) -> None:
    for _ in range(100):
        async with http.post(url, json=body, headers={"Authorization": f"Bearer {token}"}) as r:
            if r.status < 300:
                return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{url}: {r.status}")

"""The engine as a real process on a shared Redis: SIGKILL mid-run, restart, nothing lost."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import aiohttp

from acd.domain import QueueConfig
from acd.live.sql import AcdConfigStore
from atende.db import make_engine
from tests.conftest import migrated_sqlite
from tests.integration.acd_process import (
    engine_env,
    engine_process,
    free_port,
    supervisor_token,
    terminate,
    wait_live,
)
from tests.integration.acd_stack import product_twin, seed_acd
from tests.integration.conftest import eventually


async def test_sigkill_and_restart_keeps_callers_and_agents(
    tmp_path: Path, redis_prefix: str
) -> None:
    """Two agents talk, two callers wait; the engine is killed and restarted: the waiting callers
    keep their place and join time, the agents stay on their calls, then everyone is served."""
    url = migrated_sqlite(tmp_path / "acd.db")
    await seed_acd(url, [QueueConfig(name="vendas", skills={"sales": 1})], {
        "2001": {"sales": 3}, "2002": {"sales": 3},
    })  # fmt: skip
    token = await supervisor_token(url)
    twin = product_twin(0.05)
    port = await twin.start()
    agi_port, http_port = free_port(), free_port()
    twin.pbx.agi_address = ("127.0.0.1", agi_port)
    # the first two talks last until the test hangs them up, however slow the restart is
    twin.set_agent_phone("Local/2001@agents", answer=True, delay=0.5)
    twin.set_agent_phone("Local/2002@agents", answer=True, delay=0.5)
    env = engine_env(url, port, agi_port, http_port, redis_prefix)
    base = f"http://127.0.0.1:{http_port}"
    log = tmp_path / "engine.log"
    http = aiohttp.ClientSession()
    first = await engine_process(env, log)
    second = None
    try:
        await wait_live(http, base, token, lambda live: len(live["agents"]) == 2)
        callers = []
        for n in range(4):
            info = await twin.place_inbound_call("1133330001", f"551199999000{n}", "Caller")
            assert info is not None
            callers.append(info.linkedid)
            await asyncio.sleep(0.3)

        def two_talking_two_waiting(live: dict[str, Any]) -> bool:
            states = sorted(c["state"] for c in live["calls"])
            return states == ["connected", "connected", "waiting", "waiting"]

        before = await wait_live(http, base, token, two_talking_two_waiting)
        first.send_signal(signal.SIGKILL)
        await first.wait()

        second = await engine_process(env, log)
        after = await wait_live(http, base, token, lambda live: len(live["calls"]) == 4, timeout=60)
        assert {c["call"]: (c["state"], c["entered_at"], c["agent"]) for c in after["calls"]} == {
            c["call"]: (c["state"], c["entered_at"], c["agent"]) for c in before["calls"]
        }
        assert [a["state"] for a in after["agents"]] == ["on_call", "on_call"]
        waiting = [c["call"] for c in after["calls"] if c["state"] == "waiting"]
        assert waiting == callers[2:]  # still in arrival order
        for ext in ("2001", "2002"):  # the waiting callers' talks are short
            twin.set_agent_phone(f"Local/{ext}@agents", answer=True, delay=0.5, talk_time=10)
        for channel in twin.channels():  # the first two callers hang up
            if channel.uniqueid in callers[:2]:
                assert twin.hangup(channel.name)

        def all_served() -> bool:
            stats = twin.stats["1133330001"]
            return stats.answered_by_agent == 4

        await eventually(all_served, timeout=40)
        assert twin.stats["1133330001"].abandoned == 0

        def all_completed(live: dict[str, Any]) -> bool:
            return not live["calls"] and live["queues"][0]["answered"] == 4

        final = await wait_live(http, base, token, all_completed)
        assert (final["queues"][0]["offered"], final["queues"][0]["abandoned"]) == (4, 0)
    finally:
        await http.close()
        await terminate(first)
        await terminate(second)
        await twin.stop()
    # the queue log holds each caller's story once, across both engines
    db = make_engine(url)
    records = await AcdConfigStore(db).queue_log()
    await db.dispose()
    for call in callers:
        events = [r.event for r in records if r.call_id == call]
        assert events.count("ENTERQUEUE") == 1, events
        assert events.count("CONNECT") == 1, events
        assert events.count("COMPLETEAGENT") + events.count("COMPLETECALLER") == 1, events

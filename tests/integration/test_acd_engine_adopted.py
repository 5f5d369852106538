"""Two engines on one Redis: one is killed for good, the other adopts its callers and agents."""

from __future__ import annotations

import asyncio
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import aiohttp
import redis.asyncio as aioredis

from acd.domain import QueueLogRecord
from acd.live.sql import AcdConfigStore
from atende.db import make_engine
from tests.conftest import REDIS_URL, migrated_sqlite
from tests.integration.acd_process import (
    engine_env,
    engine_process,
    free_port,
    supervisor_token,
    terminate,
    wait_live,
)
from tests.integration.acd_stack import four_queues, product_twin, seed_acd
from tests.integration.conftest import eventually
from tests.integration.test_acd_two_engines import _agent_legs, _overlaps

VENDAS = "1133330001"


async def _entered_in(url: str, calls: list[str]) -> float:
    """Until the engine's database holds an ENTERQUEUE of every call in ``calls``; the time
    of the last of them."""
    db = make_engine(url)
    try:
        for _ in range(600):
            records = await AcdConfigStore(db).queue_log()
            entered = {r.call_id: r.time for r in records if r.event == "ENTERQUEUE"}
            if set(calls) <= set(entered):
                return max(entered[c] for c in calls)
            await asyncio.sleep(0.1)
        raise AssertionError(f"no ENTERQUEUE for some of {calls}")
    finally:
        await db.dispose()


async def _marked(redis: aioredis.Redis, key: str, through: float) -> None:
    """Until the engine's heartbeat mark ``key`` in Redis says its queue log is written up to
    ``through`` (an adopter with its own database relies on it)."""
    for _ in range(600):
        value = await redis.get(key)
        if value is not None and float(value) >= through:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{key} never reached {through}")


def _waiting(live: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in live["calls"] if c["state"] == "waiting"]


def _agent(live: dict[str, Any], agent_id: str) -> dict[str, Any] | None:
    return next((a for a in live["agents"] if a["agent"] == agent_id), None)


def _log_events(path: Path, event: str) -> list[dict[str, Any]]:
    rows = []
    for line in path.read_text(errors="replace").splitlines():
        if f'"{event}"' in line:
            try:
                rows.append(json.loads(line))
            except ValueError:
                continue
    return [r for r in rows if r.get("event") == event]


async def test_dead_engine_callers_and_agents_are_adopted(
    tmp_path: Path, redis_prefix: str
) -> None:
    """Engine A queues four vendas callers (one talking to 2001, three waiting; 2001 is logged
    in on A only) and is SIGKILLed for good. Engine B claims A's lease: it shows A's waiting
    callers in their order with their join times, the talking call still with 2001 (on call),
    rewrites their owner in Redis, then serves them in order. 2001 never has two phone legs,
    and each caller has one ENTERQUEUE across both engines' queue logs."""
    url_a = migrated_sqlite(tmp_path / "a.db")
    url_b = migrated_sqlite(tmp_path / "b.db")
    await seed_acd(url_a, four_queues(), {"2001": {"sales": 3}})
    await seed_acd(url_b, four_queues(), {})  # B routes no agent of its own
    token_a, token_b = await supervisor_token(url_a), await supervisor_token(url_b)
    twin = product_twin(0.05)
    port = await twin.start()
    agi_a, http_a, http_b = free_port(), free_port(), free_port()
    twin.pbx.agi_address = ("127.0.0.1", agi_a)  # every caller's IVR runs on A
    twin.set_agent_phone("Local/2001@agents", answer=True, delay=1, talk_time=None)
    worst: dict[str, int] = defaultdict(int)

    def watch(_message: object) -> None:
        for ext, legs in _agent_legs(twin).items():
            worst[ext] = max(worst[ext], legs)

    twin.pbx.listeners.append(watch)
    log = tmp_path / "engines.log"
    base_a, base_b = f"http://127.0.0.1:{http_a}", f"http://127.0.0.1:{http_b}"
    http = aiohttp.ClientSession()
    redis = aioredis.from_url(REDIS_URL, decode_responses=True)
    proc_a = proc_b = None
    try:
        env_b = engine_env(url_b, port, free_port(), http_b, redis_prefix)
        env_b["ATENDE_ACD_ENGINE_ID"] = "engine-b"
        proc_b = await engine_process(env_b, log)
        await wait_live(http, base_b, token_b, lambda x: x["queues"], timeout=60)
        env_a = engine_env(url_a, port, agi_a, http_a, redis_prefix)
        env_a["ATENDE_ACD_ENGINE_ID"] = "engine-a"
        proc_a = await engine_process(env_a, log)
        await wait_live(http, base_a, token_a, lambda x: _agent(x, "2001"), timeout=60)

        await twin.place_inbound_call(VENDAS, "5511900000000", "Talking")
        live_a = await wait_live(
            http, base_a, token_a, lambda x: any(c["state"] == "connected" for c in x["calls"])
        )
        talking = next(c for c in live_a["calls"] if c["state"] == "connected")
        for n in range(1, 4):
            await twin.place_inbound_call(VENDAS, f"551190000000{n}", "Waiting")
            await wait_live(http, base_a, token_a, lambda x, n=n: len(_waiting(x)) == n)
        before = _waiting(await wait_live(http, base_a, token_a, lambda x: True))
        assert [c["caller"] for c in before] == [f"551190000000{n}" for n in range(1, 4)]
        # A's queue log is written in batches: its callers' ENTERQUEUE in its database, and
        # A's mark of it in Redis, first (a caller whose batch A never wrote, or never marked,
        # is logged by B in its own database: test_acd_adopted_queue_log)
        last = await _entered_in(url_a, [talking["call"], *(c["call"] for c in before)])
        await _marked(redis, redis_prefix + "acd:logged:engine-a", last)

        proc_a.kill()  # SIGKILL, never restarted
        await proc_a.wait()

        def adopted(live: dict[str, Any]) -> bool:
            agent = _agent(live, "2001")
            return len(_waiting(live)) == 3 and agent is not None and agent["state"] == "on_call"

        live_b = await wait_live(http, base_b, token_b, adopted, timeout=90)
        after = _waiting(live_b)
        assert [(c["call"], c["entered_at"]) for c in after] == [
            (c["call"], c["entered_at"]) for c in before
        ]
        held = next(c for c in live_b["calls"] if c["call"] == talking["call"])
        assert (held["state"], held["agent"]) == ("connected", "2001")
        assert (_agent(live_b, "2001") or {}).get("call") == talking["call"]
        stored = await redis.hgetall(redis_prefix + "acd:calls")
        owners = {cid: json.loads(v)["owner"] for cid, v in stored.items()}
        ours = [talking["call"], *(c["call"] for c in before)]
        assert {owners.get(cid) for cid in ours} == {"engine-b"}
        assert [r["engine"] for r in _log_events(log, "acd_engine_adopted")] == ["engine-a"]

        # the talk ends (the agent hangs up); 2001 then serves the waiting callers in order
        twin.set_agent_phone("Local/2001@agents", answer=True, delay=1, talk_time=20)
        leg = next(
            ch.name
            for ch in twin.pbx.channels.values()
            if ch.name.startswith("Local/2001@agents-") and ch.name.endswith(";1")
        )
        assert twin.hangup(leg)

        def all_served() -> bool:
            return twin.stats[VENDAS].answered_by_agent == 4

        await eventually(all_served, timeout=120)
        await wait_live(http, base_b, token_b, lambda x: x["calls"] == [], timeout=60)
    finally:
        await http.close()
        await redis.aclose()
        await terminate(proc_a)
        await terminate(proc_b)
        await twin.stop()
    assert max(worst.values()) == 1, dict(worst)
    records: list[QueueLogRecord] = []
    for url in (url_a, url_b):
        db = make_engine(url)
        records += await AcdConfigStore(db).queue_log()
        await db.dispose()
    entered = Counter(r.call_id for r in records if r.event == "ENTERQUEUE")
    assert {cid: entered[cid] for cid in ours} == dict.fromkeys(ours, 1)
    connects = [r.call_id for r in sorted(records, key=lambda r: r.time) if r.event == "CONNECT"]
    assert connects == ours
    assert _overlaps(records) == []

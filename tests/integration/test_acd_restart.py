"""The engine as a real process on a shared Redis: SIGKILL mid-run, restart, nothing lost."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp

from acd.domain import QueueConfig
from atende.auth import Role, UserStore
from atende.db import make_engine
from tests.conftest import REDIS_URL
from tests.integration.acd_stack import DID_QUEUES, product_twin, seed_acd
from tests.integration.conftest import eventually

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def _engine_process(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    out = log.open("ab")
    try:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "atende.cli", "serve", env=env, stdout=out, stderr=out, cwd=REPO
        )
    finally:
        out.close()


async def _live(http: aiohttp.ClientSession, base: str, token: str) -> dict[str, Any] | None:
    try:
        async with http.get(
            base + "/api/acd/live", headers={"Authorization": f"Bearer {token}"}
        ) as resp:
            if resp.status != 200:
                return None
            body: dict[str, Any] = await resp.json()
            return body
    except aiohttp.ClientError:
        return None


async def _wait_live(
    http: aiohttp.ClientSession,
    base: str,
    token: str,
    check: Any,
    timeout: float = 20,  # noqa: ASYNC109
) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        live = await _live(http, base, token)
        if live is not None and check(live):
            return live
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"engine state not reached; last: {json.dumps(live)}")
        await asyncio.sleep(0.1)


async def test_sigkill_and_restart_keeps_callers_and_agents(
    tmp_path: Path, redis_prefix: str
) -> None:
    """Two agents talk, two callers wait; the engine is killed and restarted: the waiting callers
    keep their place and join time, the agents stay on their calls, then everyone is served."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'acd.db'}"
    await seed_acd(url, [QueueConfig(name="vendas", skills={"sales": 1})], {
        "2001": {"sales": 3}, "2002": {"sales": 3},
    })  # fmt: skip
    db = make_engine(url)
    users = UserStore(db)
    await users.create_user("boss", "a-long-password-1", Role.SUPERVISOR)
    token = await users.issue_token(await users.user_id("boss"), "t", None)
    await db.dispose()

    twin = product_twin(0.05)
    port = await twin.start()
    agi_port, http_port = _free_port(), _free_port()
    twin.pbx.agi_address = ("127.0.0.1", agi_port)
    # each talk lasts 8 s of real time: long enough to restart the engine meanwhile
    twin.set_agent_phone("Local/2001@agents", answer=True, delay=0.5, talk_time=160)
    twin.set_agent_phone("Local/2002@agents", answer=True, delay=0.5, talk_time=160)
    env = dict(
        os.environ,
        ATENDE_DATABASE_URL=url,
        ATENDE_REDIS_URL=REDIS_URL,
        ATENDE_REDIS_KEY_PREFIX=redis_prefix,
        ATENDE_AMI_SERVERS=f"ami://atende:atende@127.0.0.1:{port}/pbx1",
        ATENDE_AGI_PORT=str(agi_port),
        ATENDE_HTTP_PORT=str(http_port),
        ATENDE_IVR_DID_QUEUES=json.dumps(DID_QUEUES),
        ATENDE_ACD_LOGIN_ON_START="true",
        ATENDE_ACD_TICK_INTERVAL="0.2",
        ATENDE_LOG_FORMAT="json",
        ATENDE_AMI_RECONNECT_MAX_DELAY="0.5",
    )
    env.pop("ATENDE_CONFIG", None)
    base = f"http://127.0.0.1:{http_port}"
    log = tmp_path / "engine.log"
    http = aiohttp.ClientSession()
    first = await _engine_process(env, log)
    second = None
    try:
        await _wait_live(http, base, token, lambda live: len(live["agents"]) == 2)
        callers = []
        for n in range(4):
            info = await twin.place_inbound_call("1133330001", f"551199999000{n}", "Caller")
            assert info is not None
            callers.append(info.linkedid)
            await asyncio.sleep(0.3)

        def two_talking_two_waiting(live: dict[str, Any]) -> bool:
            states = sorted(c["state"] for c in live["calls"])
            return states == ["connected", "connected", "waiting", "waiting"]

        before = await _wait_live(http, base, token, two_talking_two_waiting)
        first.send_signal(signal.SIGKILL)
        await first.wait()

        second = await _engine_process(env, log)
        after = await _wait_live(http, base, token, lambda live: len(live["calls"]) == 4)
        assert {c["call"]: (c["state"], c["entered_at"], c["agent"]) for c in after["calls"]} == {
            c["call"]: (c["state"], c["entered_at"], c["agent"]) for c in before["calls"]
        }
        assert [a["state"] for a in after["agents"]] == ["on_call", "on_call"]
        waiting = [c["call"] for c in after["calls"] if c["state"] == "waiting"]
        assert waiting == callers[2:]  # still in arrival order

        def all_served() -> bool:
            stats = twin.stats["1133330001"]
            return stats.answered_by_agent == 4

        await eventually(all_served, timeout=40)
        assert twin.stats["1133330001"].abandoned == 0
    finally:
        await http.close()
        for proc in (first, second):
            if proc is not None and proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(proc.wait(), 10)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
        await twin.stop()

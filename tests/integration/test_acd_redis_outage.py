"""Redis goes away mid-traffic and comes back empty: the ACD routes on from memory, nothing sticks,
and the shared state is written again. The engine uses a Redis of its own, started by the test."""

from __future__ import annotations

import asyncio
import random
import socket
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import redis.asyncio as aioredis

from acd.domain import QueueConfig
from acd.live import AgentConfig, InboundAcd
from telephony.twin import Twin
from tests.conftest import migrated_sqlite
from tests.integration.acd_stack import running_acd
from tests.integration.conftest import eventually

VENDAS = "1133330001"
PREFIX = "outage:"


def _fixed_port() -> int:
    """A free port below the ephemeral range: while the server is down, a client's reconnect
    could otherwise be given that very port as its own and connect to itself."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    while True:
        port = random.randrange(10_000, min(low, 30_000))
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


@asynccontextmanager
async def redis_server(port: int) -> AsyncIterator[asyncio.subprocess.Process]:
    """A throw-away ``redis-server`` on ``port`` (no persistence: a restart comes back empty)."""
    proc = await asyncio.create_subprocess_exec(
        "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
        "--appendonly", "no", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    client = aioredis.from_url(f"redis://127.0.0.1:{port}/0")
    try:
        for _ in range(200):
            try:
                await client.ping()
                break
            except (OSError, aioredis.ConnectionError):
                await asyncio.sleep(0.05)
        yield proc
    finally:
        await client.aclose()
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


def _talking(twin: Twin) -> int:
    return sum(1 for ch in twin.channels() if ch.bridge and "@agents" in ch.name)


async def _calls(twin: Twin, count: int, first: int) -> list[str]:
    out = []
    for n in range(first, first + count):
        info = await twin.place_inbound_call(VENDAS, f"55119999920{n:02d}", "Cliente")
        assert info is not None
        out.append(info.linkedid)
    return out


async def test_redis_outage_leaves_no_stuck_agent_and_is_refilled(tmp_path: Path) -> None:
    """Two agents talk; Redis is killed; their calls end and two more callers are served from
    memory; an agent logs in, pauses, unpauses and logs out without an error; Redis restarts
    empty: the agents hash is written again, no call is left in it or in the engine, both
    agents are free, and a caller after that is served as usual."""
    url = migrated_sqlite(tmp_path / "acd.db")
    port = _fixed_port()
    queues = [QueueConfig(name="vendas", skills={"sales": 1}, wrap_up_seconds=0)]
    agents = {"2001": {"sales": 3}, "2002": {"sales": 3}}
    redis_url = f"redis://127.0.0.1:{port}/0"
    async with (
        redis_server(port) as first_redis,
        running_acd(url, queues, agents, redis_url=redis_url, redis_key_prefix=PREFIX) as (
            twin,
            engine,
        ),
    ):
        assert engine.acd is not None
        acd: InboundAcd = engine.acd
        for ext in agents:
            twin.set_agent_phone(f"Local/{ext}@agents", answer=True, delay=0.5, talk_time=60)
        before = await _calls(twin, 2, 0)
        await eventually(lambda: _talking(twin) == 2, timeout=15)

        first_redis.kill()
        await first_redis.wait()
        for ext in agents:  # the next talks are short
            twin.set_agent_phone(f"Local/{ext}@agents", answer=True, delay=0.5, talk_time=10)
        await eventually(lambda: not any(c in acd.calls for c in before), timeout=15)
        await _calls(twin, 2, 10)

        def served(count: int) -> bool:
            return twin.stats[VENDAS].answered_by_agent == count and not acd.calls

        await eventually(lambda: served(4) and _talking(twin) == 0, timeout=20)
        extra = AgentConfig("2003", "Local/2003@agents", {"billing": 1})
        await acd.login(extra)
        await acd.pause("2003", "lunch")
        await acd.unpause("2003")
        await acd.logout("2003")
        states = {a["agent"]: a["state"] for a in acd.live_view()["agents"]}
        assert states == {"2001": "available", "2002": "available"}

        async with redis_server(port):  # back, empty
            client = aioredis.from_url(redis_url, decode_responses=True)
            try:

                async def refilled() -> bool:
                    stored = await client.hgetall(PREFIX + "acd:agents")
                    return set(stored) == {"2001", "2002"}

                for _ in range(200):
                    if await refilled():
                        break
                    await asyncio.sleep(0.05)
                assert await refilled()
                assert await client.hgetall(PREFIX + "acd:calls") == {}
                await _calls(twin, 1, 20)
                await eventually(lambda: served(5) and _talking(twin) == 0, timeout=20)

                async def nothing_left() -> bool:
                    # the last call's wrap-up record goes at the next tick
                    calls = await client.hgetall(PREFIX + "acd:calls")
                    return not calls and not await client.keys(PREFIX + "acd:reserved:*")

                for _ in range(200):
                    if await nothing_left():
                        break
                    await asyncio.sleep(0.05)
                assert await nothing_left()
            finally:
                await client.aclose()
        stats = acd.router.stats(acd.clock()).queues["vendas"]
        assert (stats.offered, stats.answered, stats.abandoned, stats.waiting) == (5, 5, 0, 0)
        assert twin.stats[VENDAS].answered_by_agent == 5

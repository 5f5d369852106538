"""/healthz, /readyz and /metrics of a running engine linked to the twin and a private Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from acd.domain import QueueConfig
from atende.auth import Role
from atende.wiring import Engine
from telephony.twin import AmiUser, Twin, TwinConfig
from tests.conftest import migrated_sqlite
from tests.integration.acd_stack import running_acd
from tests.integration.private_redis import PrivateRedis

TIME_SCALE = 0.05
SECRET = "atende"


@dataclass
class Ops:
    twin: Twin
    engine: Engine
    redis: PrivateRedis
    http: aiohttp.ClientSession
    token: str

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.engine.http_port}"

    async def readyz(self) -> tuple[int, dict[str, Any]]:
        async with self.http.get(self.base + "/readyz") as resp:
            return resp.status, await resp.json()

    async def metrics(self) -> str:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with self.http.get(self.base + "/metrics", headers=headers) as resp:
            assert resp.status == 200
            return await resp.text()


@pytest.fixture
async def ops(tmp_path: Path) -> AsyncIterator[Ops]:
    """Engine + product twin + a redis-server of this test's own (never the shared one)."""
    redis = PrivateRedis()
    await redis.start()
    queues = [QueueConfig(name="vendas", skills={"sales": 1}),
              QueueConfig(name="suporte", skills={"support": 1})]  # fmt: skip
    url = migrated_sqlite(tmp_path / "ops.db")
    try:
        async with running_acd(
            url, queues, {"2001": {"sales": 1}}, TIME_SCALE, redis_url=redis.url
        ) as (twin, engine):
            await engine.users.create_user("sup", "a-long-password-1", Role.SUPERVISOR)
            token = await engine.users.issue_token(await engine.users.user_id("sup"), "t", None)
            async with aiohttp.ClientSession() as http:
                state = Ops(twin, engine, redis, http, token)
                yield state
                await state.twin.stop()  # the restarted twin, if any (stopping twice is harmless)
    finally:
        await redis.close()


async def wait_ready(ops: Ops, ready: bool, check: str) -> dict[str, Any]:
    """Poll /readyz until it says ``ready`` (generous deadline); the check named ``check``."""
    for _ in range(600):  # 60 s at least
        status, body = await ops.readyz()
        if (status == 200) is ready:
            return dict(next(c for c in body["checks"] if c["name"] == check))
        await asyncio.sleep(0.1)
    raise AssertionError(f"/readyz stayed {status}: {body}")


async def test_readyz_flips_when_redis_or_the_twin_stops_and_comes_back(ops: Ops) -> None:
    """Ready with every check ok; Redis stopped -> 503 naming redis; back -> 200; the twin
    stopped -> 503 naming asterisk:pbx1; a twin on the same port again -> 200. /healthz is 200
    throughout and nothing secret is in the bodies."""
    async with ops.http.get(ops.base + "/healthz") as resp:
        assert resp.status == 200 and (await resp.json())["status"] == "up"
    status, body = await ops.readyz()
    assert status == 200, body
    names = {c["name"]: c["ok"] for c in body["checks"]}
    assert names == {"database": True, "redis": True, "asterisk:pbx1": True, "fastagi": True}

    await ops.redis.stop()
    redis = await wait_ready(ops, False, "redis")
    assert redis["ok"] is False and "unreachable" in redis["reason"]
    async with ops.http.get(ops.base + "/healthz") as resp:
        assert resp.status == 200
    await ops.redis.start()
    await wait_ready(ops, True, "redis")

    port = ops.twin.port
    await ops.twin.stop()
    asterisk = await wait_ready(ops, False, "asterisk:pbx1")
    assert asterisk["reason"] == "not connected"
    _, body = await ops.readyz()
    text = str(body).lower()
    for secret_or_address in ("redis://", "sqlite", "password", "secret", str(ops.redis.port)):
        assert secret_or_address not in text
    ops.twin = Twin(
        TwinConfig(ami_port=port, users={"atende": AmiUser(SECRET)}, time_scale=TIME_SCALE,
                   product_inbound=True)
    )  # fmt: skip
    await ops.twin.start()
    ops.twin.pbx.agi_address = ("127.0.0.1", ops.engine.agi.port)
    assert (await wait_ready(ops, True, "asterisk:pbx1"))["ok"] is True


def sample(text: str, name: str) -> float:
    """The value of the exposition line that starts with ``name`` (labels included)."""
    line = next(x for x in text.splitlines() if x.startswith(name + " "))
    return float(line.rsplit(" ", 1)[1])


async def test_metrics_show_the_floor_the_link_and_http(ops: Ops) -> None:
    """A caller to suporte (no agent has the skill) shows as waiting; the signed-in agent as
    available; the AMI link connected with events counted; the outbox empty; HTTP timed.
    Without a token /metrics is refused."""
    async with ops.http.get(ops.base + "/metrics") as resp:
        assert resp.status == 401
    caller = await ops.twin.place_inbound_call("1133330002", "5511988887777", "Ana")
    assert caller is not None
    for _ in range(600):
        text = await ops.metrics()
        if sample(text, 'atende_calls_waiting{queue="suporte"}') == 1:
            break
        await asyncio.sleep(0.1)
    assert sample(text, 'atende_calls_waiting{queue="suporte"}') == 1
    assert sample(text, 'atende_calls_waiting{queue="vendas"}') == 0
    assert sample(text, 'atende_agents{state="available"}') == 1
    assert sample(text, 'atende_queue_calls_today{outcome="offered",queue="suporte"}') == 1
    assert sample(text, 'atende_ami_connected{server="pbx1"}') == 1
    assert sample(text, 'atende_ami_reconnects_total{server="pbx1"}') == 0
    assert sample(text, 'atende_ami_events_total{server="pbx1"}') > 0
    assert sample(text, 'atende_outbox_outcomes{status="dead"}') == 0
    assert sample(text, "atende_event_loop_lag_seconds") >= 0
    assert (
        sample(
            text,
            'atende_http_request_duration_seconds_count{method="GET",route="/metrics",status="401"}',
        )
        == 1
    )
    ops.twin.drop_ami_connections()
    for _ in range(600):
        text = await ops.metrics()
        if sample(text, 'atende_ami_reconnects_total{server="pbx1"}') == 1:
            break
        await asyncio.sleep(0.1)
    assert sample(text, 'atende_ami_reconnects_total{server="pbx1"}') == 1

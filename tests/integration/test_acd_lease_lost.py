"""An engine alive but unable to renew its lease has its share adopted; when it renews again it
stops routing the calls taken over, and until then it rings no agent for them (two engines in
one process, one Redis, the twin)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from structlog.testing import capture_logs

from acd.domain import AgentState, QueueConfig
from acd.live.service import InboundAcd
from atende.wiring import Engine
from telephony.twin.twin import Twin
from tests.conftest import REDIS_URL, migrated_sqlite
from tests.integration.acd_stack import acd_settings, product_twin, seed_acd
from tests.integration.conftest import eventually

VENDAS = "1133330001"


@dataclass
class TwoEngines:
    """Engines a (agent 2002) and b (agent 2001) on one Redis, the twin, the log lines."""

    a: Engine
    b: Engine
    acd_a: InboundAcd
    acd_b: InboundAcd
    twin: Twin
    logs: list[dict[str, Any]]

    async def caller_queued_on_a(self, number: str, name: str) -> str:
        """A vendas caller whose IVR runs on a, queued there: his linkedid."""
        caller = await self.twin.place_inbound_call(VENDAS, number, name)
        assert caller is not None
        call = caller.linkedid
        await eventually(lambda: call in self.acd_a.calls, timeout=20)
        return call

    def stall_lease_of_a(self) -> None:
        """a's lease task stops, as a blocked loop would: a is alive but renews nothing."""
        lease = self.acd_a._tasks[2]
        assert lease.get_name() == "acd-lease"
        lease.cancel()

    def resume_lease_of_a(self) -> None:
        self.acd_a._tasks[2] = asyncio.create_task(self.acd_a._keep_lease(), name="acd-lease")

    async def book_of_a(self, call: str) -> list[str]:
        """a's queue log for ``call`` once its HANDOVER reached a's database."""
        book: list[str] = []
        for _ in range(50):
            book = [r.event for r in await self.a.acd_config.queue_log() if r.call_id == call]
            if "HANDOVER" in book:
                break
            await asyncio.sleep(0.1)
        return book


@asynccontextmanager
async def two_engines(tmp_path: Path, redis_prefix: str) -> AsyncIterator[TwoEngines]:
    url_a = migrated_sqlite(tmp_path / "a.db")
    url_b = migrated_sqlite(tmp_path / "b.db")
    queues = [QueueConfig(name="vendas", skills={"sales": 1})]
    await seed_acd(url_a, queues, {"2002": {"sales": 1}})
    await seed_acd(url_b, queues, {"2001": {"sales": 1}})
    twin = product_twin(0.05)
    port = await twin.start()
    shared = {"redis_url": REDIS_URL, "redis_key_prefix": redis_prefix, "acd_lease_ttl": 1.0}
    a = Engine(acd_settings(port, url_a, acd_engine_id="a", **shared))
    b = Engine(acd_settings(port, url_b, acd_engine_id="b", **shared))
    with capture_logs() as logs:
        await a.start()
        try:
            assert a.acd is not None
            await a.acd.wait_ready()
            await a.acd.store.drain()  # a's agent in Redis: b finds him at its start
            await b.start()
            assert b.acd is not None
            await b.acd.wait_ready()
            twin.pbx.agi_address = ("127.0.0.1", a.agi.port)  # the callers' IVR runs on a
            for agent in ("2001", "2002"):
                twin.set_agent_phone(f"Local/{agent}@agents", answer=True, delay=1)
            yield TwoEngines(a, b, a.acd, b.acd, twin, logs)
        finally:
            await a.stop()
            await b.stop()
            await twin.stop()


async def test_a_share_adopted_while_alive_is_routed_by_the_adopter_only(
    tmp_path: Path, redis_prefix: str
) -> None:
    """Engine a queues a vendas caller (its agent 2002 paused). Its lease task stalls (as a
    blocked loop would) and engine b adopts the caller. When a renews again it learns the
    share was adopted (``acd_share_lost``): the caller leaves a's router (HANDOVER) and a's
    agent, once unpaused, is not offered him; b connects him, and a's queue log for him ends
    with the HANDOVER (a never offered him)."""
    async with two_engines(tmp_path, redis_prefix) as two:
        acd_a, acd_b = two.acd_a, two.acd_b
        await acd_a.pause("2002", "lunch")
        await acd_b.pause("2001", "lunch")
        call = await two.caller_queued_on_a("5511999990001", "Maria")

        two.stall_lease_of_a()
        await eventually(lambda: call in acd_b.calls, timeout=20)
        assert call in acd_a.calls  # a does not know yet

        two.resume_lease_of_a()
        await eventually(lambda: call not in acd_a.calls, timeout=20)
        assert call not in acd_a.router.calls
        (lost,) = [e for e in two.logs if e["event"] == "acd_share_lost"]
        assert lost["calls"] == 1 and lost["adopted_by"] == ["b"]

        await acd_a.unpause("2002")
        assert acd_a.router.agent("2002").state is AgentState.AVAILABLE  # nothing to take
        await acd_b.unpause("2001")
        await eventually(lambda: call in two.twin.answered_calls, timeout=20)
        assert acd_b.calls[call].state == "connected"  # b connected him
        assert await two.book_of_a(call) == ["ENTERQUEUE", "HANDOVER"]


async def test_a_stalled_engine_rings_no_agent_for_an_adopted_caller(
    tmp_path: Path, redis_prefix: str
) -> None:
    """Engine a queues a vendas caller; its lease task stalls and engine b adopts him (a
    routes 2002, b routes 2001 and 2002, all paused). Before a renews (a does not know yet),
    2002 is unpaused on a: a must not ring him for the adopted caller while b rings 2001 for
    him (one caller Redirected by two engines). The refused reservation tells a at once: the
    caller leaves a's router, 2002 is free again on a and never rang; b connects the caller
    to 2001; a's queue log for him ends with the HANDOVER."""
    async with two_engines(tmp_path, redis_prefix) as two:
        acd_a, acd_b, logs = two.acd_a, two.acd_b, two.logs
        await acd_a.pause("2002", "lunch")
        for agent in ("2001", "2002"):  # b found a's 2002 in Redis at its start
            await acd_b.pause(agent, "lunch")
        call = await two.caller_queued_on_a("5511999990002", "Joana")

        two.stall_lease_of_a()  # no renewal until the test starts it again
        adopted = lambda: any(e["event"] == "acd_engine_adopted" for e in logs)  # noqa: E731
        await eventually(adopted, timeout=20)

        await acd_a.unpause("2002")  # a would offer him the caller it no longer owns
        assert call not in acd_a.calls and call not in acd_a.router.calls
        (lost,) = [e for e in logs if e["event"] == "acd_share_lost"]
        assert lost["calls"] == 1 and lost["adopted_by"] == ["b"]
        await eventually(
            lambda: acd_a.router.agent("2002").state is AgentState.AVAILABLE, timeout=20
        )
        await acd_b.unpause("2001")
        await eventually(lambda: call in two.twin.answered_calls, timeout=20)
        assert acd_b.calls[call].agent == "2001"
        offered = [e.get("agent") for e in logs if e["event"] == "acd_offered"]
        assert offered == ["2001"]  # 2002 never rang
        assert not any(ch.name.startswith("Local/2002@") for ch in two.twin.channels())
        assert await two.book_of_a(call) == ["ENTERQUEUE", "HANDOVER"]

        two.resume_lease_of_a()
        await asyncio.sleep(1.0)  # renewals: a holds its lease again, nothing more lost
        assert [e["event"] for e in logs].count("acd_share_lost") == 1

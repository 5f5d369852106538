"""An engine alive but unable to renew its lease has its share adopted; when it renews again it
stops routing the calls taken over (two engines in one process, one Redis, the twin)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from structlog.testing import capture_logs

from acd.domain import AgentState, QueueConfig
from atende.wiring import Engine
from tests.conftest import REDIS_URL, migrated_sqlite
from tests.integration.acd_stack import acd_settings, product_twin, seed_acd
from tests.integration.conftest import eventually

VENDAS = "1133330001"


async def test_a_share_adopted_while_alive_is_routed_by_the_adopter_only(
    tmp_path: Path, redis_prefix: str
) -> None:
    """Engine a queues a vendas caller (its agent 2002 paused). Its lease task stalls (as a
    blocked loop would) and engine b adopts the caller. When a renews again it learns the
    share was adopted (``acd_share_lost``): the caller leaves a's router (HANDOVER) and a's
    agent, once unpaused, is not offered him; b connects him, and a's queue log for him ends
    with the HANDOVER (a never offered him)."""
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
        await b.start()
        try:
            assert a.acd is not None and b.acd is not None
            acd_a, acd_b = a.acd, b.acd
            await acd_a.wait_ready()
            await acd_b.wait_ready()
            twin.pbx.agi_address = ("127.0.0.1", a.agi.port)  # the caller's IVR runs on a
            for agent in ("2001", "2002"):
                twin.set_agent_phone(f"Local/{agent}@agents", answer=True, delay=1)
            await acd_a.pause("2002", "lunch")
            await acd_b.pause("2001", "lunch")
            caller = await twin.place_inbound_call(VENDAS, "5511999990001", "Maria")
            assert caller is not None
            call = caller.linkedid
            await eventually(lambda: call in acd_a.calls, timeout=20)

            lease = acd_a._tasks[2]  # a's lease task stalls: a is alive but silent
            assert lease.get_name() == "acd-lease"
            lease.cancel()
            await eventually(lambda: call in acd_b.calls, timeout=20)
            assert call in acd_a.calls  # a does not know yet

            acd_a._tasks[2] = asyncio.create_task(acd_a._keep_lease(), name="acd-lease")
            await eventually(lambda: call not in acd_a.calls, timeout=20)
            assert call not in acd_a.router.calls
            (lost,) = [e for e in logs if e["event"] == "acd_share_lost"]
            assert lost["calls"] == 1 and lost["adopted_by"] == ["b"]

            await acd_a.unpause("2002")
            assert acd_a.router.agent("2002").state is AgentState.AVAILABLE  # nothing to take
            await acd_b.unpause("2001")
            await eventually(lambda: call in twin.answered_calls, timeout=20)
            assert acd_b.calls[call].state == "connected"  # b connected him
            for _ in range(50):  # the queue log reaches a's database
                book_a = [r.event for r in await a.acd_config.queue_log() if r.call_id == call]
                if "HANDOVER" in book_a:
                    break
                await asyncio.sleep(0.1)
            assert book_a == ["ENTERQUEUE", "HANDOVER"]
        finally:
            await a.stop()
            await b.stop()
            await twin.stop()


async def test_a_stalled_engine_rings_no_agent_for_an_adopted_caller(
    tmp_path: Path, redis_prefix: str
) -> None:
    """Engine a queues a vendas caller; its lease task stalls and engine b adopts him (a
    routes 2002, b routes 2001 and 2002, all paused). Before a renews (a does not know yet),
    2002 is unpaused on a: a must not ring him for the adopted caller while b rings 2001 for
    him (one caller Redirected by two engines). The refused reservation tells a at once: the
    caller leaves a's router, 2002 is free again on a and never rang; b connects the caller
    to 2001; a's queue log for him ends with the HANDOVER."""
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
        await b.start()
        try:
            assert a.acd is not None and b.acd is not None
            acd_a, acd_b = a.acd, b.acd
            await acd_a.wait_ready()
            await acd_b.wait_ready()
            twin.pbx.agi_address = ("127.0.0.1", a.agi.port)
            for agent in ("2001", "2002"):
                twin.set_agent_phone(f"Local/{agent}@agents", answer=True, delay=1)
            await acd_a.pause("2002", "lunch")
            for agent in ("2001", "2002"):  # b found a's 2002 in Redis at its start
                await acd_b.pause(agent, "lunch")
            caller = await twin.place_inbound_call(VENDAS, "5511999990002", "Joana")
            assert caller is not None
            call = caller.linkedid
            await eventually(lambda: call in acd_a.calls, timeout=20)

            lease = acd_a._tasks[2]
            assert lease.get_name() == "acd-lease"
            lease.cancel()  # stalled: no renewal until the test starts it again
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
            await eventually(lambda: call in twin.answered_calls, timeout=20)
            assert acd_b.calls[call].agent == "2001"
            offered = [e.get("agent") for e in logs if e["event"] == "acd_offered"]
            assert offered == ["2001"]  # 2002 never rang
            assert not any(ch.name.startswith("Local/2002@") for ch in twin.channels())

            book_a: list[str] = []
            for _ in range(50):  # the queue log reaches a's database
                book_a = [r.event for r in await a.acd_config.queue_log() if r.call_id == call]
                if "HANDOVER" in book_a:
                    break
                await asyncio.sleep(0.1)
            assert book_a == ["ENTERQUEUE", "HANDOVER"]
            acd_a._tasks[2] = asyncio.create_task(acd_a._keep_lease(), name="acd-lease")
            await asyncio.sleep(1.0)  # renewals: a holds its lease again, nothing more lost
            assert [e["event"] for e in logs].count("acd_share_lost") == 1
        finally:
            await a.stop()
            await b.stop()
            await twin.stop()

"""What happens while no engine runs is logged by the next one: answers, ends, wrap-up."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from acd.live.sql import AcdConfigStore
from atende.db import make_engine
from atende.wiring import Engine
from telephony.twin import Twin
from tests.conftest import REDIS_URL, migrated_sqlite
from tests.integration.acd_stack import acd_settings, four_queues, product_twin, seed_acd
from tests.integration.conftest import eventually


def _bridged(twin: Twin, linkedid: str) -> bool:
    return any(ch.linkedid == linkedid and ch.bridge and "@agents" in ch.name
               for ch in twin.channels())  # fmt: skip


async def test_answer_while_the_engine_is_down_gets_connect_and_completion(
    tmp_path: Path, redis_prefix: str
) -> None:
    """The engine stops while 2001's phone rings; 2001 answers meanwhile. The next engine finds
    them bridged: the call is connected (CONNECT logged), 2001 is on the call, and when the
    caller hangs up the call is completed and 2001 goes through wrap-up back to available."""
    url = migrated_sqlite(tmp_path / "acd.db")
    await seed_acd(url, four_queues(ring_timeout=60, wrap_up_seconds=1), {"2001": {"sales": 3}})
    twin = product_twin(0.05)
    port = await twin.start()
    settings = acd_settings(port, url, redis_url=REDIS_URL, redis_key_prefix=redis_prefix)
    twin.set_agent_phone("Local/2001@agents", answer=True, delay=40)  # 2 s of ringing
    first = Engine(settings)
    await first.start()
    twin.pbx.agi_address = ("127.0.0.1", first.agi.port)
    second: Engine | None = None
    try:
        assert first.acd is not None
        acd = first.acd
        await acd.wait_ready()
        caller = await twin.place_inbound_call("1133330001", "5511999995001", "Maria")
        assert caller is not None
        await eventually(lambda: acd.router.agent("2001").state.value == "ringing", timeout=10)
        await first.stop()
        stopped = time.time()
        await eventually(lambda: _bridged(twin, caller.linkedid), timeout=10)
        await asyncio.sleep(1)
        second = Engine(settings)
        await second.start()
        twin.pbx.agi_address = ("127.0.0.1", second.agi.port)
        assert second.acd is not None
        again = second.acd
        await again.wait_ready()
        assert again.calls[caller.linkedid].state == "connected"
        agents = {a["agent"]: a["state"] for a in again.live_view()["agents"]}
        assert agents == {"2001": "on_call"}
        ivr = next(ch.name for ch in twin.channels() if ch.linkedid == caller.linkedid)
        assert twin.hangup(ivr)
        await eventually(lambda: caller.linkedid not in again.calls, timeout=10)
        await eventually(lambda: again.live_view()["agents"][0]["state"] == "wrap_up", timeout=10)
        await eventually(lambda: again.live_view()["agents"][0]["state"] == "available", timeout=10)
    finally:
        if second is not None:
            await second.stop()
        await twin.stop()
    db = make_engine(url)
    records = [r for r in await AcdConfigStore(db).queue_log() if r.call_id == caller.linkedid]
    await db.dispose()
    assert [r.event for r in records] == ["ENTERQUEUE", "CONNECT", "COMPLETECALLER"]
    connect = records[1]
    # answered while no engine ran: dated at the first engine's last heartbeat, not the restart
    assert connect.time <= stopped + 0.5

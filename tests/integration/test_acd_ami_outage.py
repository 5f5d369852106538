"""AMI outages longer than the ring timeout: what Asterisk did meanwhile is what the ACD logs.

The engine's AMI link goes through a proxy that cuts it right after the twin reports the agent's
phone ringing (``DialBegin``) and refuses reconnections for longer than the router's ring timeout
(ring timeout + 5 s). The twin runs at real time so its Dial outlives the answer delay.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
#: the DialBegin of the caller's Dial to agent 2001 (not the twin's Originate of the caller)
DIAL_AGENT = re.compile(rb"Event: DialBegin\r\n(?:[^\r\n]*\r\n)*?DestChannel: Local/2001@agents")


@dataclass
class Outage:
    twin: Twin
    engine: Engine
    proxy: CuttableProxy

    async def log(self, call: str) -> list[Any]:
        """The call's queue-log records as stored in the database."""
        return [r for r in await self.engine.acd_config.queue_log() if r.call_id == call]

    async def agent_log(self, agent: str) -> list[str]:
        return [r.event for r in await self.engine.acd_config.queue_log() if r.agent == agent]

    def agent_state(self, agent: str) -> str:
        assert self.engine.acd is not None
        row = next(a for a in self.engine.acd.live_view()["agents"] if a["agent"] == agent)
        return str(row["state"])

    def queue(self, name: str) -> dict[str, Any]:
        assert self.engine.acd is not None
        return next(q for q in self.engine.acd.live_view()["queues"] if q["queue"] == name)

    async def ring_then_cut(self, caller_num: str) -> str:
        """A vendas caller is offered to 2001; the link is cut as his phone starts ringing and
        stays cut for ``OUTAGE`` seconds. Returns the call's linkedid."""
        self.proxy.cut_after = DIAL_AGENT
        caller = await self.twin.place_inbound_call(VENDAS, caller_num, "Maria")
        assert caller is not None
        await eventually(lambda: self.proxy.cut_at is not None, timeout=20)
        await asyncio.sleep(OUTAGE)
        await self.proxy.restore()
        return caller.linkedid


@pytest.fixture
async def outage(tmp_path: Path) -> AsyncIterator[Outage]:
    """Queue vendas (ring timeout 1 s, wrap-up 1 s), agent 2001; the twin at real time."""
    url = migrated_sqlite(tmp_path / "acd.db")
    queues = [QueueConfig(name="vendas", skills={"sales": 1}, ring_timeout=1, wrap_up_seconds=1)]
    await seed_acd(url, queues, {"2001": {"sales": 3}})
    twin = product_twin(1.0)
    proxy = CuttableProxy(await twin.start())
    engine = Engine(acd_settings(await proxy.start(), url, acd_no_answer_pause=60))
    await engine.start()
    twin.pbx.agi_address = ("127.0.0.1", engine.agi.port)
    try:
        assert engine.acd is not None
        await engine.acd.wait_ready()
        yield Outage(twin, engine, proxy)
    finally:
        await engine.stop()
        await proxy.stop()
        await twin.stop()


def _bridged_with(twin: Twin, linkedid: str) -> str | None:
    for ch in twin.channels():
        if ch.linkedid == linkedid and ch.bridge and "@agents" in ch.name:
            return ch.name.split("/", 1)[1].split("@", 1)[0]
    return None


async def test_answer_during_an_outage_is_connected_not_missed(outage: Outage) -> None:
    """2001 answers while the link is cut (longer than the ring timeout): after the resync the
    call is connected, with its hold time up to the cut; no RINGNOANSWER, no pause, the caller
    is never taken out of his call; hanging up then completes it."""
    outage.twin.set_agent_phone("Local/2001@agents", answer=True, delay=0.5)
    call = await outage.ring_then_cut("5511999990001")
    assert outage.engine.acd is not None
    acd = outage.engine.acd
    await eventually(lambda: acd.calls[call].state == "connected", timeout=20)
    assert outage.agent_state("2001") == "on_call"
    assert _bridged_with(outage.twin, call) == "2001"

    async def connected() -> list[Any]:
        return [r for r in await outage.log(call) if r.event == "CONNECT"]

    for _ in range(100):
        if await connected():
            break
        await asyncio.sleep(0.1)
    (connect,) = await connected()
    entered = next(r for r in await outage.log(call) if r.event == "ENTERQUEUE")
    assert outage.proxy.cut_at is not None
    # hold time: from joining to the answer (made during the cut), not to the resync
    assert abs(float(connect.data[0]) - (outage.proxy.cut_at - entered.time)) <= 1.5
    assert float(connect.data[0]) < OUTAGE
    events = [r.event for r in await outage.log(call)]
    assert "RINGNOANSWER" not in events and "RINGCANCELED" not in events
    assert "PAUSE" not in await outage.agent_log("2001")
    redirects = [m for m in outage.twin.event_log if dict(m).get("Event") == "DialEnd"]
    assert all(dict(m).get("DialStatus") == "ANSWER" for m in redirects)

    caller = next(ch.name for ch in outage.twin.channels() if ch.linkedid == call)
    assert outage.twin.hangup(caller)
    await eventually(lambda: call not in acd.calls, timeout=10)
    await eventually(lambda: outage.agent_state("2001") == "available", timeout=10)
    q = outage.queue("vendas")
    assert (q["offered"], q["answered"], q["abandoned"], q["no_answers"]) == (1, 1, 0, 0)


async def test_call_answered_and_ended_during_an_outage(outage: Outage) -> None:
    """2001 answers and hangs up while the link is cut: after the resync the call is answered
    and completed (no abandon, no ring-no-answer) and 2001 is available again after wrap-up."""
    outage.twin.set_agent_phone("Local/2001@agents", answer=True, delay=0.5, talk_time=1)
    call = await outage.ring_then_cut("5511999990002")
    assert outage.engine.acd is not None
    acd = outage.engine.acd
    await eventually(lambda: call not in acd.calls, timeout=20)
    await eventually(lambda: outage.agent_state("2001") == "available", timeout=10)
    for _ in range(100):
        events = [r.event for r in await outage.log(call)]
        if len(events) >= 3:
            break
        await asyncio.sleep(0.1)
    assert events[:2] == ["ENTERQUEUE", "CONNECT"]
    assert events[2] in ("COMPLETEAGENT", "COMPLETECALLER")
    assert "ABANDON" not in events and "RINGNOANSWER" not in events
    assert "PAUSE" not in await outage.agent_log("2001")
    assert outage.twin.stats[VENDAS].answered_by_agent == 1
    q = outage.queue("vendas")
    assert (q["offered"], q["answered"], q["abandoned"], q["no_answers"]) == (1, 1, 0, 0)

"""The inbound path end to end: twin callers through the IVR into queues, matched and connected."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from acd.live.sql import AcdConfigStore
from atende.db import make_engine
from atende.wiring import Engine
from telephony.twin import Twin
from tests.conftest import migrated_sqlite
from tests.integration.acd_stack import (
    AcdStack,
    acd_settings,
    bridged_agents,
    four_queues,
    product_twin,
    running_acd,
    seed_acd,
)
from tests.integration.conftest import eventually

AGENTS = {"2001": {"sales": 3}, "2002": {"support": 2}, "2003": {"sales": 1}}


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[AcdStack]:
    """Twin at 1/20 of real time; agents 2001 (sales 3), 2002 (support 2), 2003 (sales 1)."""
    url = migrated_sqlite(tmp_path / "acd.db")
    async with running_acd(url, four_queues(), AGENTS, acd_vip_callers=["5511000000099"]) as (
        twin,
        engine,
    ):
        yield AcdStack(twin, engine)


async def test_callers_reach_agents_with_the_right_skill(stack: AcdStack) -> None:
    """Callers on two DIDs wait on hold, then each is connected to an agent with his skill;
    the best-skilled free agent of the queue is not needed: the longest idle one is taken."""
    twin = stack.twin
    for ext in AGENTS:
        twin.set_agent_phone(f"Local/{ext}@agents", answer=True, delay=1)
    sales = await twin.place_inbound_call("1133330001", "5511999990001", "Maria")
    support = await twin.place_inbound_call("1133330002", "5511999990002", "Joao")
    assert sales is not None and support is not None
    await eventually(lambda: len(bridged_agents(twin)) == 2, timeout=15)
    bridged = bridged_agents(twin)
    assert bridged[sales.linkedid] in ("2001", "2003")
    assert bridged[support.linkedid] == "2002"
    # the twin bridges before the engine has read the answer's events: wait for the engine
    seller = bridged[sales.linkedid]

    def both_on_call() -> bool:
        """both agents on call, each queue with its answered call"""
        return (
            stack.agent(seller)["state"] == stack.agent("2002")["state"] == "on_call"
            and stack.queue("vendas")["answered"] == stack.queue("suporte")["answered"] == 1
        )

    await eventually(both_on_call, timeout=15)


async def test_no_answer_reoffers_to_another_agent(stack: AcdStack) -> None:
    """The first agent rung lets it ring out: the caller goes back on hold, the other sales agent
    gets the call, the first is paused "no answer" and comes back after the pause."""
    twin = stack.twin
    twin.set_agent_phone("Local/2001@agents", answer=False)
    twin.set_agent_phone("Local/2003@agents", answer=False)
    caller = await twin.place_inbound_call("1133330001", "5511999990001", "Maria")
    assert caller is not None

    def missed_once() -> bool:
        return stack.queue("vendas")["no_answers"] >= 1

    await eventually(missed_once, timeout=15)
    missed = next(a for a in ("2001", "2003") if stack.agent(a)["pause_reason"] == "no answer")
    other = "2003" if missed == "2001" else "2001"
    twin.set_agent_phone(f"Local/{other}@agents", answer=True, delay=0.5)
    await eventually(lambda: caller.linkedid in bridged_agents(twin), timeout=15)
    assert bridged_agents(twin)[caller.linkedid] == other
    await eventually(lambda: stack.agent(missed)["state"] == "available", timeout=10)
    assert stack.queue("vendas")["answered"] == 1


async def test_vip_caller_served_first(stack: AcdStack) -> None:
    """With every sales agent busy, a VIP who called last gets the first agent to be free."""
    twin = stack.twin
    # 2001 talks for 3 s of real time, 2003 for 20 s
    twin.set_agent_phone("Local/2001@agents", answer=True, delay=0.2, talk_time=60)
    twin.set_agent_phone("Local/2003@agents", answer=True, delay=0.2, talk_time=400)
    for n in range(2):
        await twin.place_inbound_call("1133330001", f"551100000000{n}", "Busy")
    await eventually(lambda: len(bridged_agents(twin)) == 2, timeout=15)
    plain = await twin.place_inbound_call("1133330001", "5511000000010", "Plain")
    vip = await twin.place_inbound_call("1133330001", "5511000000099", "Vip")
    assert plain is not None and vip is not None
    await eventually(lambda: vip.linkedid in bridged_agents(twin), timeout=20)
    assert plain.linkedid not in bridged_agents(twin)
    calls = {c["call"]: c for c in stack.acd.live_view()["calls"]}
    assert calls[plain.linkedid]["state"] == "waiting"
    assert calls[vip.linkedid]["priority"] == 10


async def test_agent_hangup_completes_by_agent_and_caller_abandon(stack: AcdStack) -> None:
    """An agent ending the call logs COMPLETEAGENT; a caller leaving the queue logs ABANDON."""
    twin = stack.twin
    twin.set_agent_phone("Local/2002@agents", answer=True, delay=0.2, talk_time=10)
    talked = await twin.place_inbound_call("1133330002", "5511999990002", "Joao")
    left = await twin.place_inbound_call("1133330003", "5511999990003", "Ana", patience=20)
    assert talked is not None and left is not None
    await eventually(lambda: not stack.acd.calls, timeout=15)
    await eventually(lambda: stack.queue("cobranca")["abandoned"] == 1, timeout=5)
    records: list[Any] = []
    for _ in range(50):
        records = await stack.engine.acd_config.queue_log()
        written = {r.event for r in records}
        if {"COMPLETEAGENT", "ABANDON"} <= written:  # both reached the database
            break
        await twin.pbx.pause(None, 2)
    events = [(r.call_id, r.event) for r in records if r.call_id != "NONE"]
    assert (talked.linkedid, "COMPLETEAGENT") in events
    assert (left.linkedid, "ABANDON") in events
    assert stack.agent("2002")["state"] == "available"


async def test_restart_while_ringing_a_missed_call_waits_again(
    tmp_path: Path, redis_prefix: str
) -> None:
    """The engine stops while an agent's phone rings; the ring runs out meanwhile. The next
    engine finds the caller back on hold: he waits again (same join time) and is served."""
    from tests.conftest import REDIS_URL

    url = migrated_sqlite(tmp_path / "acd.db")
    await seed_acd(url, four_queues(ring_timeout=10), {"2001": {"sales": 3}})
    twin = product_twin(0.05)
    port = await twin.start()
    settings = acd_settings(
        port, url, redis_url=REDIS_URL, redis_key_prefix=redis_prefix, acd_no_answer_pause=0
    )
    twin.set_agent_phone("Local/2001@agents", answer=False)
    first = Engine(settings)
    await first.start()
    twin.pbx.agi_address = ("127.0.0.1", first.agi.port)
    second: Engine | None = None
    try:
        caller = await twin.place_inbound_call("1133330001", "5511999990001", "Maria")
        assert caller is not None
        assert first.acd is not None
        acd = first.acd
        await acd.wait_ready()
        await eventually(lambda: acd.router.agent("2001").state.value == "ringing", timeout=10)
        joined = acd.calls[caller.linkedid].entered_at
        await first.stop()

        def back_on_hold() -> bool:
            return any(
                ch.linkedid == caller.linkedid and ch.context == "inbound-hold"
                for ch in twin.channels()
            )

        await eventually(back_on_hold, timeout=10)
        twin.set_agent_phone("Local/2001@agents", answer=True, delay=0.2)
        second = Engine(settings)
        await second.start()
        twin.pbx.agi_address = ("127.0.0.1", second.agi.port)
        assert second.acd is not None
        await second.acd.wait_ready()
        assert second.acd.calls[caller.linkedid].entered_at == joined
        await eventually(lambda: caller.linkedid in bridged_agents(twin), timeout=15)
        assert bridged_agents(twin)[caller.linkedid] == "2001"
    finally:
        if second is not None:
            await second.stop()
        await twin.stop()


async def test_calls_ending_while_the_engine_is_down_are_logged(
    tmp_path: Path, redis_prefix: str
) -> None:
    """A talk ends and a waiting caller hangs up while no engine runs: the next engine logs
    COMPLETECALLER and ABANDON for them, and its statistics count both."""
    from tests.conftest import REDIS_URL

    url = migrated_sqlite(tmp_path / "acd.db")
    await seed_acd(url, four_queues(), {"2001": {"sales": 3}})
    twin = product_twin(0.05)
    port = await twin.start()
    settings = acd_settings(port, url, redis_url=REDIS_URL, redis_key_prefix=redis_prefix)
    twin.set_agent_phone("Local/2001@agents", answer=True, delay=0.2, talk_time=40)
    first = Engine(settings)
    await first.start()
    twin.pbx.agi_address = ("127.0.0.1", first.agi.port)
    second: Engine | None = None
    try:
        assert first.acd is not None
        acd = first.acd
        await acd.wait_ready()
        talker = await twin.place_inbound_call("1133330001", "5511999990001", "Maria")
        waiter = await twin.place_inbound_call("1133330001", "5511999990002", "Joao")
        assert talker is not None and waiter is not None

        def one_talks_one_waits() -> bool:
            states = sorted(c.state for c in acd.calls.values())
            return states == ["connected", "waiting"]

        await eventually(one_talks_one_waits, timeout=10)
        await first.stop()
        assert twin.hangup(_ivr(twin, waiter.linkedid))
        await eventually(lambda: not twin.channels(), timeout=10)  # the talk ended too
        second = Engine(settings)
        await second.start()
        assert second.acd is not None
        await second.acd.wait_ready()
        assert not second.acd.calls
        vendas = next(q for q in second.acd.live_view()["queues"] if q["queue"] == "vendas")
        assert (vendas["offered"], vendas["answered"], vendas["abandoned"]) == (2, 1, 1)
    finally:
        if second is not None:
            await second.stop()
        await twin.stop()
    db = make_engine(url)
    records = await AcdConfigStore(db).queue_log()
    await db.dispose()
    assert [r.event for r in records if r.call_id == talker.linkedid] == [
        "ENTERQUEUE",
        "CONNECT",
        "COMPLETECALLER",
    ]
    assert [r.event for r in records if r.call_id == waiter.linkedid] == ["ENTERQUEUE", "ABANDON"]


def _ivr(twin: Twin, linkedid: str) -> str:
    return next(ch.name for ch in twin.channels() if ch.linkedid == linkedid)


async def test_caller_past_max_wait_hears_the_exit_message(stack: AcdStack) -> None:
    """A queue whose max wait passes sends its caller to [queue-exit]: he hears the exit
    message, the call ends, and the queue counts it as timed out, not abandoned."""
    queues = [q.model_copy(update={"max_wait": 1.0}) if q.name == "cobranca" else q
              for q in four_queues()]  # fmt: skip
    await stack.acd.reconfigure(queues)
    caller = await stack.twin.place_inbound_call("1133330003", "5511999990007", "Rui")
    assert caller is not None
    await eventually(lambda: stack.queue("cobranca")["timed_out"] == 1, timeout=15)
    await eventually(
        lambda: not any(ch.linkedid == caller.linkedid for ch in stack.twin.channels())
    )
    newexten = [dict(m) for m in stack.twin.event_log if dict(m).get("Event") == "Newexten"]
    heard = [
        (m.get("Context"), m.get("Application"), m.get("AppData"))
        for m in newexten
        if m.get("Linkedid") == caller.linkedid
    ]
    assert ("queue-exit", "Playback", "vm-goodbye") in heard
    assert stack.queue("cobranca")["abandoned"] == 0

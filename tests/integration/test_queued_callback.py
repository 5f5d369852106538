"""The queued callback end to end: a waiting caller accepts a callback with DTMF 1, hangs up
keeping his place, and is called back with an agent on the line when his turn comes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from acd.domain import AgentConfig, EscalationStep, QueueConfig
from atende.wiring import Engine
from telephony.twin import ChannelInfo
from tests.conftest import migrated_sqlite
from tests.integration.acd_stack import (
    AcdStack,
    acd_settings,
    four_queues,
    product_twin,
    running_acd,
    seed_acd,
)
from tests.integration.conftest import eventually

SUPPORT_AGENT = AgentConfig("2002", "Local/2002@agents", {"support": 2})


def callback_queues() -> list[QueueConfig]:
    """The four queues; ``suporte`` offers a callback after 1 s of waiting."""
    step = EscalationStep(after=1.0, callback=True)
    return [
        q.model_copy(update={"escalation": (step,)}) if q.name == "suporte" else q
        for q in four_queues()
    ]


class CallbackStack(AcdStack):
    """A product twin and an engine whose ``suporte`` queue offers a callback after 1 s."""

    def in_context(self, caller: ChannelInfo, context: str) -> bool:
        return any(
            ch.linkedid == caller.linkedid and ch.context == context for ch in self.twin.channels()
        )

    def alive(self, caller: ChannelInfo) -> bool:
        return any(ch.linkedid == caller.linkedid for ch in self.twin.channels())

    async def press(self, caller: ChannelInfo, digit: str) -> None:
        """The caller presses ``digit`` (AMI PlayDTMF towards the IVR channel)."""
        outer = caller.name.removesuffix(";2") + ";1"
        await self.engine.link.send_action(
            "pbx1", {"Action": "PlayDTMF", "Channel": outer, "Digit": digit}
        )


@pytest.fixture
async def cb(tmp_path: Path) -> AsyncIterator[CallbackStack]:
    """Twin at 1/20 of real time; ``suporte`` offers a callback after 1 s; its only agent
    (2002) is logged out at the start."""
    url = migrated_sqlite(tmp_path / "acd.db")
    agents = {"2001": {"sales": 3}, "2002": {"support": 2}}
    async with running_acd(url, callback_queues(), agents) as (twin, engine):
        assert engine.acd is not None
        await engine.acd.logout("2002")
        yield CallbackStack(twin, engine)


async def test_accepted_callback_keeps_the_place_and_calls_the_customer_back(
    cb: CallbackStack,
) -> None:
    """The first caller accepts the callback with 1 and is hung up after the confirmation;
    he stays first in line ahead of a later caller; once an agent logs in, the agent's phone
    rings, then the customer's number is dialled through the trunk, and the queue counts one
    answered call and no abandon; when the agent hangs up the next caller is connected."""
    number = "5511999990021"
    cb.twin.set_customer(number, "human", delay=1)
    cb.twin.set_agent_phone("Local/2002@agents", answer=True, delay=0.5, talk_time=30)
    first = await cb.twin.place_inbound_call("1133330002", number, "Ana")
    assert first is not None
    await eventually(lambda: cb.in_context(first, "callback-offer"), timeout=10)
    await cb.press(first, "1")
    await eventually(lambda: not cb.alive(first), timeout=10)
    second = await cb.twin.place_inbound_call("1133330002", "5511999990022", "Bia")
    assert second is not None
    await eventually(lambda: second.linkedid in cb.acd.calls, timeout=10)
    assert cb.acd.calls[first.linkedid].state == "waiting"
    assert cb.acd.router.position(first.linkedid) == 1
    assert cb.acd.router.position(second.linkedid) == 2
    assert cb.queue("suporte")["waiting"] == 2
    heard = [
        (dict(m).get("Context"), dict(m).get("Application"), dict(m).get("AppData"))
        for m in cb.twin.event_log
        if dict(m).get("Event") == "Newexten" and dict(m).get("Linkedid") == first.linkedid
    ]
    assert ("callback-result", "Playback", "vm-goodbye") in heard

    await cb.acd.login(SUPPORT_AGENT)

    def callback_connected() -> bool:
        call = cb.acd.calls.get(first.linkedid)
        return call is not None and call.state == "connected" and call.agent == "2002"

    await eventually(callback_connected, timeout=10)
    dialled = [
        dict(m).get("DialString") for m in cb.twin.event_log if dict(m).get("Event") == "DialBegin"
    ]
    assert f"{number}@customers" in dialled
    await eventually(lambda: cb.queue("suporte")["answered"] == 1, timeout=5)
    stats = cb.queue("suporte")
    assert (stats["answered"], stats["abandoned"]) == (1, 0)
    assert cb.acd.calls[second.linkedid].state == "waiting"

    # the agent ends the callback: the queue log tells the whole story, the next caller follows
    await eventually(lambda: first.linkedid not in cb.acd.calls, timeout=10)
    events: list[str] = []
    for _ in range(100):
        records = await cb.engine.acd_config.queue_log()
        events = [str(r.event) for r in records if r.call_id == first.linkedid]
        if len(events) == 4:
            break
        await asyncio.sleep(0.05)
    assert events == ["ENTERQUEUE", "CALLBACK", "CONNECT", "COMPLETEAGENT"]
    await eventually(lambda: cb.queue("suporte")["answered"] == 2, timeout=10)
    assert cb.queue("suporte")["abandoned"] == 0


async def test_no_key_sends_the_caller_back_to_hold_still_waiting(cb: CallbackStack) -> None:
    """A caller who presses nothing at the callback offer returns to hold, keeps waiting in
    the queue, and is connected normally once an agent logs in."""
    cb.twin.set_agent_phone("Local/2002@agents", answer=True, delay=0.5)
    caller = await cb.twin.place_inbound_call("1133330002", "5511999990023", "Caio")
    assert caller is not None
    await eventually(lambda: cb.in_context(caller, "callback-offer"), timeout=10)
    await eventually(lambda: cb.in_context(caller, "inbound-hold"), timeout=10)
    call = cb.acd.calls[caller.linkedid]
    assert call.state == "waiting" and not call.callback
    assert cb.queue("suporte")["waiting"] == 1
    await cb.acd.login(SUPPORT_AGENT)
    await eventually(lambda: cb.queue("suporte")["answered"] == 1, timeout=10)
    assert cb.queue("suporte")["abandoned"] == 0
    assert cb.acd.calls[caller.linkedid].state == "connected"


async def test_a_waiting_callback_survives_an_engine_restart(
    tmp_path: Path, redis_prefix: str
) -> None:
    """A caller accepts the callback and hangs up; the engine stops; the next engine (same
    Redis) restores the callback in its place and, with the agent logged in at start, calls
    the customer back: answered 1, abandoned 0."""
    from tests.conftest import REDIS_URL

    url = migrated_sqlite(tmp_path / "acd.db")
    await seed_acd(url, callback_queues(), {"2002": {"support": 2}})
    twin = product_twin(0.05)
    port = await twin.start()
    settings = acd_settings(port, url, redis_url=REDIS_URL, redis_key_prefix=redis_prefix)
    number = "5511999990024"
    twin.set_customer(number, "human", delay=1)
    twin.set_agent_phone("Local/2002@agents", answer=True, delay=0.5)
    first = Engine(settings)
    await first.start()
    twin.pbx.agi_address = ("127.0.0.1", first.agi.port)
    second: Engine | None = None
    try:
        assert first.acd is not None
        await first.acd.wait_ready()
        await first.acd.logout("2002")
        cb = CallbackStack(twin, first)
        caller = await twin.place_inbound_call("1133330002", number, "Davi")
        assert caller is not None
        await eventually(lambda: cb.in_context(caller, "callback-offer"), timeout=10)
        await cb.press(caller, "1")
        await eventually(lambda: not cb.alive(caller), timeout=10)
        await eventually(lambda: cb.acd.calls[caller.linkedid].caller_gone)
        await first.stop()
        second = Engine(settings)
        await second.start()
        twin.pbx.agi_address = ("127.0.0.1", second.agi.port)
        assert second.acd is not None
        await second.acd.wait_ready()
        cb = CallbackStack(twin, second)

        def called_back() -> bool:
            call = cb.acd.calls.get(caller.linkedid)
            return call is not None and call.state == "connected" and call.agent == "2002"

        await eventually(called_back, timeout=10)
        await eventually(lambda: cb.queue("suporte")["answered"] == 1, timeout=5)
        assert cb.queue("suporte")["abandoned"] == 0
    finally:
        if second is not None:
            await second.stop()
        await twin.stop()


async def test_agent_missing_the_callback_is_a_ring_no_answer(cb: CallbackStack) -> None:
    """The agent's phone rings for a callback and nobody answers: a ring-no-answer, the call
    keeps waiting; once the phone answers, the customer is called back."""
    number = "5511999990025"
    cb.twin.set_customer(number, "human", delay=1)
    cb.twin.set_agent_phone("Local/2002@agents", answer=False)
    caller = await cb.twin.place_inbound_call("1133330002", number, "Eva")
    assert caller is not None
    await eventually(lambda: cb.in_context(caller, "callback-offer"), timeout=10)
    await cb.press(caller, "1")
    await eventually(lambda: not cb.alive(caller), timeout=10)
    await cb.acd.login(SUPPORT_AGENT)
    await eventually(lambda: cb.queue("suporte")["no_answers"] >= 1, timeout=10)
    assert cb.acd.calls[caller.linkedid].state in ("waiting", "offered")
    assert cb.queue("suporte")["answered"] == 0
    cb.twin.set_agent_phone("Local/2002@agents", answer=True, delay=0.5)

    def called_back() -> bool:
        call = cb.acd.calls.get(caller.linkedid)
        return call is not None and call.state == "connected"

    await eventually(called_back, timeout=15)
    assert (cb.queue("suporte")["answered"], cb.queue("suporte")["abandoned"]) == (1, 0)

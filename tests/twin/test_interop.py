"""A third-party AMI client (panoramisk) works against the twin as against Asterisk."""

from __future__ import annotations

import asyncio

from panoramisk import Manager

from telephony.twin import Twin
from tests.twin.client import eventually


async def test_panoramisk_logs_in_and_sees_a_call(twin: Twin) -> None:
    """Login, an action with an EventList, and call events all parse in panoramisk."""
    manager = Manager(
        host="127.0.0.1",
        port=twin.port,
        username="atende",
        secret="atende",
        ping_delay=0,
        reconnect_timeout=0.1,
        loop=asyncio.get_running_loop(),
    )
    seen: list[str] = []
    manager.register_event("*", lambda _manager, message: seen.append(message.event))
    await manager.connect()
    try:
        await eventually(lambda: "FullyBooted" in seen)
        await twin.place_inbound_call("1133330001", "5511999990001", "Maria Souza")
        await eventually(lambda: "MusicOnHoldStart" in seen)
        channels = await manager.send_action({"Action": "CoreShowChannels"})
        listed = [m for m in channels if m.get("Event") == "CoreShowChannel"]
        assert sorted(m["Channel"] for m in listed) == sorted(c.name for c in twin.channels())
        pong = await manager.send_action({"Action": "Ping"})
        assert pong["Ping"] == "Pong"
    finally:
        manager.close()
    assert {"Newchannel", "Newexten", "AGIExecStart", "VarSet"} <= set(seen)

"""The spy use cases' decisions (pure: a fake store and a fake live side)."""

from __future__ import annotations

from typing import Any

import pytest

from acd.app.spy_on_call import spy_on_call
from acd.app.spying import NoPhone, NoSpy, SpyIn, SpyMode, SpySession
from acd.app.stop_spy import stop_spy
from acd.domain import AgentNotFound, NoCall


class Store:
    """Two agents: 2001 on PJSIP/2001, 2002 on Local/2002@agents."""

    async def agent(self, agent_id: str) -> dict[str, Any] | None:
        interfaces = {"2001": "PJSIP/2001", "2002": "Local/2002@agents"}
        if agent_id not in interfaces:
            return None
        iface = interfaces[agent_id]
        return {"agent": agent_id, "name": "", "interface": iface, "skills": {}, "username": None}


class Live:
    """Records what the use cases ask of the live side."""

    def __init__(self, legs: dict[str, str]) -> None:
        self.legs = legs
        self.calls: list[tuple[str, ...]] = []
        self.current: SpySession | None = None

    def agent_leg(self, interface: str) -> str | None:
        return self.legs.get(interface)

    def session(self, supervisor: str) -> SpySession | None:
        return self.current

    async def start(
        self, supervisor: str, agent: str, target: str, mode: SpyMode, phone: str
    ) -> SpySession:
        self.calls.append(("start", agent, target, mode, phone))
        self.current = SpySession(f"s{len(self.calls)}", supervisor, agent, mode, phone, target)
        return self.current

    async def switch(self, supervisor: str, mode: SpyMode) -> SpySession:
        self.calls.append(("switch", mode))
        assert self.current is not None
        self.current.mode = mode
        return self.current

    async def stop(self, supervisor: str, reason: str = "stopped") -> SpySession | None:
        self.calls.append(("stop", reason))
        current, self.current = self.current, None
        return current


LEGS = {"PJSIP/2001": "PJSIP/2001-0000002a", "Local/2002@agents": "Local/2002@agents-00000003;1"}


async def test_rings_the_phone_on_the_agents_leg() -> None:
    """The agent's real leg (PJSIP or Local) is the target; the body's phone wins over the
    user's."""
    live = Live(LEGS)
    await spy_on_call(Store(), live, "sup", SpyIn(agent="2002"), "PJSIP/3001")
    await spy_on_call(Store(), live, "sup2", SpyIn(agent="2001", phone="PJSIP/3009"), "PJSIP/3001")
    assert live.calls == [
        ("start", "2002", "Local/2002@agents-00000003;1", "listen", "PJSIP/3001"),
        ("stop", "replaced"),
        ("start", "2001", "PJSIP/2001-0000002a", "listen", "PJSIP/3009"),
    ]


async def test_same_call_switches_mode_without_a_new_ring() -> None:
    """Spying on 2001 already: whisper switches; the same mode changes nothing; a session
    still ringing is replaced by a new ring."""
    live = Live(LEGS)
    first = await spy_on_call(Store(), live, "sup", SpyIn(agent="2001"), "PJSIP/3001")
    first.state = "spying"
    again = await spy_on_call(Store(), live, "sup", SpyIn(agent="2001"), "PJSIP/3001")
    whisper = await spy_on_call(
        Store(), live, "sup", SpyIn(agent="2001", mode="whisper"), "PJSIP/3001"
    )
    assert again is first and whisper is first and first.mode == "whisper"
    first.state = "ringing"
    await spy_on_call(Store(), live, "sup", SpyIn(agent="2001", mode="barge"), "PJSIP/3001")
    assert [c[0] for c in live.calls] == ["start", "switch", "stop", "start"]


async def test_asked_again_while_the_phone_rings_rings_it_once() -> None:
    """A second click while the supervisor's phone still rings answers the session in
    progress; nothing is stopped or rung again."""
    live = Live(LEGS)
    first = await spy_on_call(Store(), live, "sup", SpyIn(agent="2001"), "PJSIP/3001")
    again = await spy_on_call(Store(), live, "sup", SpyIn(agent="2001"), "PJSIP/3001")
    assert again is first and first.state == "ringing"
    assert live.calls == [("start", "2001", "PJSIP/2001-0000002a", "listen", "PJSIP/3001")]


async def test_refusals_ring_nothing() -> None:
    """No call on the agent's phone: ``no_call``; no phone: ``no_phone``; unknown agent:
    ``agent_not_found``; stopping with no session: ``no_spy``."""
    live = Live({})
    with pytest.raises(NoCall):
        await spy_on_call(Store(), live, "sup", SpyIn(agent="2001"), "PJSIP/3001")
    with pytest.raises(NoPhone):
        await spy_on_call(Store(), Live(LEGS), "sup", SpyIn(agent="2001"), None)
    with pytest.raises(AgentNotFound):
        await spy_on_call(Store(), live, "sup", SpyIn(agent="2999"), "PJSIP/3001")
    with pytest.raises(NoSpy):
        await stop_spy(live, "sup")
    assert live.calls == [("stop", "stopped")]

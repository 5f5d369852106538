"""The live floor's stream and the supervisor actions over HTTP, on SQLite and PostgreSQL:
roles, the stream's snapshot and changes, moves and skills applied live, audit rows."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from atende.audit import AuditLog
from tests.acd_live.conftest import Api
from tests.integration.conftest import eventually


class Stream:
    """A floor stream as a page keeps it: the snapshot with every change applied."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.floor: dict[str, dict[str, Any]] = {}
        self.seq = -1

    async def until(self, check: Any, timeout: float = 15.0) -> None:  # noqa: ASYNC109
        """Read messages until ``check(floor)`` holds."""
        while not check(self.floor):
            msg = await self.ws.receive(timeout=timeout)
            assert msg.type is aiohttp.WSMsgType.TEXT, msg
            data = json.loads(msg.data)
            if data["type"] == "snapshot":
                self.floor, self.seq = data["floor"], data["seq"]
                continue
            assert data["seq"] == self.seq + 1, "a change was skipped"
            self.seq = data["seq"]
            for section, rows in data["upsert"].items():
                self.floor.setdefault(section, {}).update(rows)
            for section, keys in data["remove"].items():
                for key in keys:
                    self.floor[section].pop(key)


async def connect(api: Api, role: str) -> aiohttp.ClientWebSocketResponse:
    headers = {"Authorization": f"Bearer {api.tokens[role]}"}
    return await api.http.ws_connect(api.base + "/api/floor/ws", headers=headers)


def agent_state(floor: dict[str, Any], agent: str) -> str | None:
    row = floor.get("agents", {}).get(agent)
    return None if row is None else str(row["state"])


async def test_stream_roles_snapshot_and_changes(api: Api) -> None:
    """Supervisors get a snapshot (queues with thresholds and the period, links up) then the
    changes as agents log in and pause; agents and callers without a session are refused; a
    page's ping is answered and junk from it ignored."""
    for role, status in (("agent", 403), ("campaign_manager", 403)):
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await connect(api, role)
        assert refused.value.status == status
    with pytest.raises(aiohttp.WSServerHandshakeError) as anonymous:
        await api.http.ws_connect(api.base + "/api/floor/ws")
    assert anonymous.value.status == 401
    status, _ = await api.call(
        "PATCH",
        "/api/acd/queues/vendas",
        "supervisor",
        {"thresholds": {"waiting": 3, "longest_wait": 60, "service_level": 0.8}},
    )
    assert status == 200
    await api.engine.acd.wait_ready()  # type: ignore[union-attr]
    stream = Stream(await connect(api, "supervisor"))
    await stream.until(lambda f: "vendas" in f.get("queues", {}))  # the snapshot is current
    vendas = stream.floor["queues"]["vendas"]
    assert vendas["thresholds"] == {"waiting": 3, "longest_wait": 60.0, "service_level": 0.8}
    assert stream.floor["period"]["today"]["time_zone"] == "America/Sao_Paulo"
    assert stream.floor["period"]["today"]["from"].endswith("T00:00:00-03:00")
    assert stream.floor["links"]["asterisk:pbx1"]["up"] is True
    await api.call("POST", "/api/acd/agents/2001/login", "agent")
    await stream.until(lambda f: agent_state(f, "2001") == "available")
    await api.call("POST", "/api/acd/agents/2001/pause", "supervisor", {"reason": "lunch"})
    await stream.until(lambda f: agent_state(f, "2001") == "paused")
    assert stream.floor["agents"]["2001"]["pause_reason"] == "lunch"
    _, live = await api.call("GET", "/api/acd/live", "supervisor")
    assert live["period"]["time_zone"] == "America/Sao_Paulo"
    for junk in ("[1]", "not json", '{"type": "ping"}'):  # junk is ignored, a ping answered
        await stream.ws.send_str(junk)
    while (reply := json.loads((await stream.ws.receive(timeout=10)).data))["type"] != "pong":
        assert reply["type"] == "changes"
    await stream.ws.close()


async def test_actions_apply_live_and_are_audited(api: Api) -> None:
    """Skills change at once (the unpaused agent takes a support caller), a caller goes to the
    front and moves to another queue keeping his join time; each action, done or refused, is
    one audit row; agents may not act on calls or skills."""
    acd = api.engine.acd
    assert acd is not None
    await acd.wait_ready()
    await api.call("POST", "/api/acd/agents/2001/login", "agent")
    await api.call("POST", "/api/acd/agents/2001/pause", "supervisor", {"reason": "meeting"})
    status, out = await api.call(
        "POST", "/api/acd/agents/2001/skills", "supervisor", {"skills": {"sales": 2, "support": 4}}
    )
    assert status == 200 and out["skills"] == {"sales": 2, "support": 4}
    assert acd.router.agent("2001").skills == {"sales": 2, "support": 4}
    status, out = await api.call("POST", "/api/acd/agents/2001/skills", "agent", {"skills": {}})
    assert (status, out["error"]["code"]) == (403, "forbidden")
    # two callers wait on suporte (nobody serves it while 2001 is paused)
    callers = []
    for number in ("5511999990001", "5511999990002"):
        callers.append(await api.twin.place_inbound_call("1133330002", number, "Ana"))
    await eventually(lambda: len(acd.router.waiting_calls("suporte")) == 2, timeout=20)
    first, second = acd.router.waiting_calls("suporte")
    entered = acd.router.calls[second].entered_at
    status, out = await api.call("POST", f"/api/acd/calls/{second}/front", "supervisor")
    assert status == 200 and out["queue"] == "suporte" and out["priority"] == 1
    assert acd.router.waiting_calls("suporte") == [second, first]
    status, out = await api.call(
        "POST", f"/api/acd/calls/{second}/move", "supervisor", {"queue": "retencao"}
    )
    assert (status, out["queue"]) == (200, "retencao")
    assert acd.router.calls[second].entered_at == entered  # his place in time
    status, out = await api.call(
        "POST", f"/api/acd/calls/{second}/move", "supervisor", {"queue": "retencao"}
    )
    assert (status, out["error"]["code"]) == (409, "call_state_conflict")
    status, out = await api.call("POST", f"/api/acd/calls/{first}/move", "agent", {"queue": "x"})
    assert (status, out["error"]["code"]) == (403, "forbidden")
    status, out = await api.call("POST", "/api/acd/calls/nobody/front", "supervisor")
    assert (status, out["error"]["code"]) == (404, "call_not_found")
    await api.call("POST", "/api/acd/agents/2001/unpause", "supervisor")
    await eventually(lambda: acd.router.agent("2001").call_id == first, timeout=20)
    status, out = await api.call("POST", "/api/acd/agents/2001/logout", "admin")  # on a call
    assert (status, out["error"]["code"]) == (409, "illegal_transition")

    async def logged() -> list[str]:
        return [r.event for r in await api.engine.acd_config.queue_log() if r.call_id == second]

    events: list[str] = []
    for _ in range(50):
        events = await logged()
        if "EXITWITHKEY" in events:
            break
        await api.twin.pbx.pause(None, 1)
    assert events[:4] == ["ENTERQUEUE", "PRIORITY", "EXITWITHKEY", "ENTERQUEUE"]
    sup = {"role": "supervisor"}
    rows = [
        (e.actor, e.action, e.outcome, e.target, e.details)
        for e in await AuditLog(api.engine.db).entries()
        if e.action.startswith(("agent_", "call_"))
    ]
    assert rows == [
        ("agent", "agent_login", "success", "2001", {"role": "agent"}),
        ("supervisor", "agent_pause", "success", "2001", {**sup, "reason": "meeting"}),
        ("supervisor", "agent_skills", "success", "2001",
         {**sup, "skills": {"sales": 2, "support": 4}}),
        ("supervisor", "call_front", "success", second, sup),
        ("supervisor", "call_move", "success", second, {**sup, "queue": "retencao"}),
        ("supervisor", "call_move", "refused", second,
         {**sup, "queue": "retencao", "code": "call_state_conflict"}),
        ("supervisor", "call_front", "refused", "nobody", {**sup, "code": "call_not_found"}),
        ("supervisor", "agent_unpause", "success", "2001", sup),
        ("admin", "agent_logout", "refused", "2001",
         {"role": "admin", "code": "illegal_transition"}),
    ]  # fmt: skip
    for caller in callers:
        assert caller is not None
        api.twin.hangup(caller.name)

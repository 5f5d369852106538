"""The ACD's HTTP API on SQLite and PostgreSQL: roles, validation codes, CRUD, live state."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from openapi_spec_validator import validate

from acd.domain import QueueLogRecord
from tests.acd_live.conftest import Api
from tests.web.openapi_check import conforms


async def test_agents_crud_and_validation_codes(api: Api) -> None:
    """A supervisor creates and changes agents; bad input gets 422 invalid_request with fields;
    an interface or a user another agent has is 409 (interface_in_use, username_in_use)."""
    status, body = await api.call(
        "POST",
        "/api/acd/agents",
        "supervisor",
        {"agent": "2003", "interface": "PJSIP/2003", "skills": {"billing": 4}},
    )
    assert status == 201 and body["skills"] == {"billing": 4}
    _, spec = await api.call("GET", "/api/openapi.json", "supervisor")
    conforms(spec, "/api/acd/agents", "post", 201, body)
    status, body = await api.call(
        "POST", "/api/acd/agents", "supervisor", {"agent": "2003", "interface": "PJSIP/2003"}
    )
    assert (status, body["error"]["code"]) == (409, "agent_exists")
    status, body = await api.call(
        "POST",
        "/api/acd/agents",
        "supervisor",
        {"agent": "bad id", "interface": "nointerface", "skills": {"sales": 9}},
    )
    assert status == 422 and body["error"]["code"] == "invalid_request"
    fields = {e["field"]: e["problem"] for e in body["error"]["fields"]}
    assert {"agent", "interface", "skills.sales"} <= set(fields)
    assert "less than or equal to 5" in fields["skills.sales"]
    conforms(spec, "/api/acd/agents", "post", 422, body)
    status, body = await api.call(
        "PATCH", "/api/acd/agents/2003", "supervisor", {"skills": {"billing": 2, "sales": 1}}
    )
    assert status == 200 and body["skills"] == {"billing": 2, "sales": 1}
    # one phone rings for one agent, one user acts as one agent
    status, body = await api.call(
        "POST", "/api/acd/agents", "supervisor", {"agent": "2004", "interface": "PJSIP/2003"}
    )
    assert (status, body["error"]["code"]) == (409, "interface_in_use")
    status, body = await api.call(
        "PATCH", "/api/acd/agents/2002", "supervisor", {"interface": "PJSIP/2003"}
    )
    assert (status, body["error"]["code"]) == (409, "interface_in_use")
    status, body = await api.call(
        "POST",
        "/api/acd/agents",
        "supervisor",
        {"agent": "2004", "interface": "PJSIP/2004", "username": "agent"},
    )
    assert (status, body["error"]["code"]) == (409, "username_in_use")
    status, body = await api.call("PATCH", "/api/acd/agents/9999", "supervisor", {"name": "x"})
    assert (status, body["error"]["code"]) == (404, "agent_not_found")
    status, body = await api.call("GET", "/api/acd/agents", "supervisor")
    assert [a["agent"] for a in body["agents"]] == ["2001", "2002", "2003"]
    conforms(spec, "/api/acd/agents", "get", 200, body)
    assert {a["state"] for a in body["agents"]} == {"logged_out"}


async def test_roles(api: Api) -> None:
    """Agents may not configure; an agent acts only on himself; no token is 401."""
    body = {"agent": "2009", "interface": "PJSIP/2009"}
    assert (await api.call("POST", "/api/acd/agents", "agent", body))[0] == 403
    assert (await api.call("GET", "/api/acd/live", "campaign_manager"))[0] == 403
    assert (await api.call("GET", "/api/acd/live", ""))[0] == 401
    status, out = await api.call("POST", "/api/acd/agents/2001/login", "agent")
    assert (status, out["state"]) == (200, "available")
    status, out = await api.call("POST", "/api/acd/agents/2002/login", "agent")
    assert (status, out["error"]["code"]) == (403, "forbidden")
    status, out = await api.call("POST", "/api/acd/agents/2002/login", "agent2")
    assert status == 403
    status, out = await api.call("POST", "/api/acd/agents/2002/login", "supervisor")
    assert (status, out["state"]) == (200, "available")
    status, spec = await api.call("GET", "/api/openapi.json", "agent")
    assert status == 200 and "/api/acd/agents/{agent}/pause" in spec["paths"]
    validate(spec)
    assert (await api.call("GET", "/api/openapi.json", ""))[0] == 401


async def test_pause_unpause_and_illegal_transitions(api: Api) -> None:
    """Pause needs a reason; pausing a logged-out agent is 409 illegal_transition."""
    status, out = await api.call("POST", "/api/acd/agents/2001/pause", "agent", {"reason": "lunch"})
    assert (status, out["error"]["code"]) == (409, "illegal_transition")
    await api.call("POST", "/api/acd/agents/2001/login", "agent")
    status, out = await api.call("POST", "/api/acd/agents/2001/pause", "agent", {})
    assert (status, out["error"]["code"]) == (422, "invalid_request")
    status, out = await api.call("POST", "/api/acd/agents/2001/pause", "agent", {"reason": "lunch"})
    assert (status, out["state"], out["pause_reason"]) == (200, "paused", "lunch")
    status, live = await api.call("GET", "/api/acd/live", "supervisor")
    agent = next(a for a in live["agents"] if a["agent"] == "2001")
    assert agent["state"] == "paused" and agent["in_state_seconds"] >= 0
    status, out = await api.call("POST", "/api/acd/agents/2001/unpause", "agent")
    assert (status, out["state"]) == (200, "available")
    status, out = await api.call("POST", "/api/acd/agents/2001/logout", "agent")
    assert (status, out["state"]) == (200, "logged_out")
    status, out = await api.call("POST", "/api/acd/agents/2001/logout", "agent")
    assert (status, out["error"]["code"]) == (409, "illegal_transition")
    await api.call("POST", "/api/acd/agents/2001/login", "agent")
    status, out = await api.call("POST", "/api/acd/agents/2001/login", "agent")
    assert (status, out["error"]["code"]) == (409, "illegal_transition")


async def test_queues_create_configure_and_live_statistics(api: Api) -> None:
    """A new queue takes callers at once; statistics and the queue log show the answered call."""
    status, out = await api.call(
        "POST", "/api/acd/queues", "supervisor", {"name": "vip", "skills": {"sales": 2}}
    )
    assert status == 201 and out["name"] == "vip"
    status, out = await api.call("POST", "/api/acd/queues", "supervisor", {"name": "vip"})
    assert (status, out["error"]["code"]) == (409, "queue_exists")
    status, out = await api.call(
        "POST", "/api/acd/queues", "supervisor", {"name": "x", "strategy": "random"}
    )
    assert (status, out["error"]["code"]) == (422, "invalid_request")
    status, out = await api.call(
        "PUT", "/api/acd/queues/vip", "supervisor", {"skills": {"sales": 3}, "wrap_up_seconds": 2}
    )
    assert status == 200 and out["wrap_up_seconds"] == 2
    status, out = await api.call(
        "PUT",
        "/api/acd/queues/vip",
        "supervisor",
        {"escalation": [{"after": 5, "overflow_to": "nowhere"}]},
    )
    assert (status, out["error"]["code"]) == (422, "queue_config_invalid")
    # a caller on a number routed to "vendas" reaches the agent logged in through the API
    await api.call("POST", "/api/acd/agents/2001/login", "agent")
    api.twin.set_agent_phone("Local/2001@agents", answer=True, delay=0.5)
    caller = await api.twin.place_inbound_call("1133330001", "5511999990001", "Maria")
    assert caller is not None

    async def answered() -> dict[str, object]:
        _, queues = await api.call("GET", "/api/acd/queues", "supervisor")
        return {q["config"]["name"]: q["stats"] for q in queues["queues"]}

    stats: dict[str, object] = {}

    def vendas_answered() -> bool:
        vendas = stats.get("vendas")
        return isinstance(vendas, dict) and vendas["answered"] == 1

    for _ in range(100):
        stats = await answered()
        if vendas_answered():
            break
        await api.twin.pbx.pause(None, 1)
    assert vendas_answered()
    assert "vip" in stats
    _, live = await api.call("GET", "/api/acd/live", "supervisor")
    assert [(c["queue"], c["agent"], c["state"]) for c in live["calls"]] == [
        ("vendas", "2001", "connected")
    ]
    call = live["calls"][0]
    assert call["answered_at"] >= call["entered_at"] and call["talk_seconds"] >= 0
    records: list[QueueLogRecord] = []

    async def logged() -> None:
        records[:] = await api.engine.acd_config.queue_log()

    def connect_logged() -> bool:
        return any(r.event == "CONNECT" and r.agent == "2001" for r in records)

    for _ in range(50):
        await logged()
        if connect_logged():
            break
        await api.twin.pbx.pause(None, 1)
    assert connect_logged()
    assert [r.event for r in records if r.queue == "vendas"][:1] == ["ENTERQUEUE"]


async def test_put_is_a_full_replace_and_patch_keeps_other_fields(api: Api) -> None:
    """PUT without ``escalation`` removes it (documented full replace); PATCH changes only the
    fields given and keeps the escalation; a body naming another queue is 422."""
    steps = [{"after": 30, "relax": {"support": 1}}]
    status, out = await api.call(
        "PATCH", "/api/acd/queues/suporte", "supervisor", {"escalation": steps, "weight": 2}
    )
    assert status == 200 and out["weight"] == 2 and out["escalation"][0]["after"] == 30
    status, out = await api.call(
        "PATCH", "/api/acd/queues/suporte", "supervisor", {"wrap_up_seconds": 7}
    )
    assert (status, out["wrap_up_seconds"], out["weight"]) == (200, 7, 2)
    assert [s["after"] for s in out["escalation"]] == [30]
    status, out = await api.call(
        "PUT", "/api/acd/queues/suporte", "supervisor", {"skills": {"support": 2}}
    )
    assert (status, out["escalation"], out["weight"], out["wrap_up_seconds"]) == (200, [], 0, 0)
    status, queues = await api.call("GET", "/api/acd/queues", "supervisor")
    stored = {q["config"]["name"]: q["config"] for q in queues["queues"]}["suporte"]
    assert (stored["skills"], stored["escalation"]) == ({"support": 2}, [])
    status, out = await api.call("PUT", "/api/acd/queues/suporte", "supervisor", {"name": "x"})
    assert (status, out["error"]["code"]) == (422, "invalid_request")
    assert out["error"]["fields"][0]["field"] == "name"
    status, out = await api.call("PATCH", "/api/acd/queues/nope", "supervisor", {"weight": 1})
    assert (status, out["error"]["code"]) == (404, "queue_not_found")
    status, out = await api.call(
        "PATCH", "/api/acd/queues/suporte", "supervisor", {"ring_timeout": -1}
    )
    assert (status, out["error"]["code"]) == (422, "invalid_request")
    assert out["error"]["fields"][0]["field"] == "ring_timeout"


# about the ring, not the database: one kind is enough
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_queue_change_while_an_agent_rings_keeps_the_ring(api: Api) -> None:
    """Changing queues (PUT suporte unchanged, PUT and PATCH vendas) while 2001 rings for a
    vendas caller: the ring goes on to an answer by 2001 (no RINGCANCELED, RINGNOANSWER or
    second offer), no ADDMEMBER/PAUSE is written, and the idle agent's time in state goes on."""
    _, out = await api.call("PATCH", "/api/acd/queues/vendas", "supervisor", {"ring_timeout": 600})
    assert out["ring_timeout"] == 600
    await api.call(
        "POST",
        "/api/acd/agents",
        "supervisor",
        {"agent": "2003", "interface": "Local/2003@agents", "skills": {"sales": 3}},
    )
    assert (await api.call("POST", "/api/acd/agents/2001/login", "supervisor"))[0] == 200
    assert (await api.call("POST", "/api/acd/agents/2003/login", "supervisor"))[0] == 200
    api.twin.set_agent_phone("Local/2001@agents", answer=True, delay=200)  # 10 s at 0.05
    await api.twin.place_inbound_call("1133330001", "5511999990002", "Joana")

    async def live() -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
        _, view = await api.call("GET", "/api/acd/live", "supervisor")
        return {a["agent"]: a for a in view["agents"]}, view["calls"]

    agents, calls = await live()
    for _ in range(200):
        if agents["2001"]["state"] == "ringing":
            break
        await api.twin.pbx.pause(None, 1)
        agents, calls = await live()
    assert agents["2001"]["state"] == "ringing"
    idle_before = agents["2003"]["in_state_seconds"]
    _, queues = await api.call("GET", "/api/acd/queues", "supervisor")
    configs = {q["config"]["name"]: q["config"] for q in queues["queues"]}
    for _ in range(200):  # the queue log is written in paced batches: wait for what is done
        book = {(r.event, r.agent) for r in await api.engine.acd_config.queue_log()}
        if {("ADDMEMBER", "2001"), ("ADDMEMBER", "2003"), ("ENTERQUEUE", "NONE")} <= book:
            break
        await asyncio.sleep(0.05)
    changed_at = len(await api.engine.acd_config.queue_log())
    suporte = {k: v for k, v in configs["suporte"].items() if k != "name"}
    assert (await api.call("PUT", "/api/acd/queues/suporte", "supervisor", suporte))[0] == 200
    vendas = {k: v for k, v in configs["vendas"].items() if k != "name"}
    assert (await api.call("PUT", "/api/acd/queues/vendas", "supervisor", vendas))[0] == 200
    body = {"weight": 1}
    assert (await api.call("PATCH", "/api/acd/queues/vendas", "supervisor", body))[0] == 200
    agents, calls = await live()
    assert (agents["2001"]["state"], agents["2003"]["state"]) == ("ringing", "available")
    assert agents["2003"]["in_state_seconds"] >= idle_before
    assert [(c["agent"], c["state"]) for c in calls] == [("2001", "offered")]
    call_id = calls[0]["call"]

    for _ in range(400):
        records = await api.engine.acd_config.queue_log()
        if any(r.event == "CONNECT" and r.call_id == call_id for r in records):
            break
        await api.twin.pbx.pause(None, 1)
    events = [(r.event, r.agent) for r in records if r.call_id == call_id]
    assert events == [("ENTERQUEUE", "NONE"), ("CONNECT", "2001")]
    after = [r.event for r in records[changed_at:]]
    assert not {"ADDMEMBER", "PAUSE", "UNPAUSE", "REMOVEMEMBER"} & set(after)

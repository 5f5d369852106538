"""The ACD's HTTP API on SQLite and PostgreSQL: roles, validation codes, CRUD, live state."""

from __future__ import annotations

from acd.domain import QueueLogRecord
from tests.acd_live.conftest import Api


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

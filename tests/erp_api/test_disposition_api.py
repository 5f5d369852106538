"""The agent's disposition of a call and its ERP outcome are stored together or not at all;
a call's disposition belongs to the agent who handled it, once."""

from __future__ import annotations

import sqlalchemy as sa

from atende.audit import AuditLog
from atende.auth import Role, UserStore
from atende.dispositions import call_dispositions
from erp_bridge.outbox.table import outbox
from tests.erp_api.conftest import PASSWORD, ErpServer, handled
from tests.erp_api.test_outcomes_api import ORDER, wait_status


async def as_agent2(s: ErpServer) -> dict[str, str]:
    """Authorization header of a second agent, agent2."""
    users = UserStore(s.engine)
    try:
        uid = await users.create_user("agent2", PASSWORD, Role.AGENT)
        token = await users.issue_token(uid, "test", None)
    finally:
        users.close()
    return {"Authorization": f"Bearer {token}"}


async def _count(s: ErpServer, table: sa.Table) -> int:
    async with s.engine.connect() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


async def test_sale_disposition_writes_outcome_that_reaches_the_erp(erp_server: ErpServer) -> None:
    """A 'sale' disposition with an order outcome is stored, and the order reaches the ERP."""
    s = erp_server
    call = "1764255600.7"
    await handled(s, call)
    async with s.worker():
        status, body = await s.call(
            "POST",
            f"/api/calls/{call}/disposition",
            json={
                "code": "sale",
                "notes": "two boxes",
                "outcome": {"kind": "sales_order", "payload": ORDER},
            },
        )
        assert status == 201, body
        assert body["outcome_id"]
        delivered = await wait_status(s, body["outcome_id"], "delivered")
        assert delivered["call_id"] == call and delivered["result"]["status"] == "released"
    status, listed = await s.call("GET", f"/api/calls/{call}/disposition", role=Role.SUPERVISOR)
    assert status == 200
    [only] = listed["dispositions"]
    assert (only["code"], only["agent"], only["notes"]) == ("sale", "agent1", "two boxes")
    assert only["outcome_id"] == body["outcome_id"]


async def test_bad_outcome_stores_nothing(erp_server: ErpServer) -> None:
    """An outcome with no lines is refused with 422 and neither disposition nor outcome is kept."""
    s = erp_server
    bad = {**ORDER, "lines": []}
    await handled(s, "1.1")
    status, body = await s.call(
        "POST",
        "/api/calls/1.1/disposition",
        json={"code": "sale", "outcome": {"kind": "sales_order", "payload": bad}},
    )
    assert status in (409, 422), body
    assert body["error"]["code"]
    assert await _count(s, call_dispositions) == 0
    assert await _count(s, outbox) == 0


async def test_disposition_without_outcome_and_roles(erp_server: ErpServer) -> None:
    """A 'no_interest' disposition needs no outcome; a bad code is 422; no token is 401."""
    s = erp_server
    await handled(s, "2.2")
    status, body = await s.call("POST", "/api/calls/2.2/disposition", json={"code": "no_interest"})
    assert (status, body["outcome_id"]) == (201, None)
    status, body = await s.call("POST", "/api/calls/2.2/disposition", json={"code": "Bad Code!"})
    assert (status, body["error"]["code"]) == (422, "invalid_request")
    status, body = await s.call("POST", "/api/calls/2.2/disposition", role=None, json={"code": "x"})
    assert status == 401
    status, body = await s.call(
        "POST", "/api/calls/2.2/disposition", role=Role.CAMPAIGN_MANAGER, json={"code": "x"}
    )
    assert status == 403


async def test_agent_reads_and_writes_only_his_calls(erp_server: ErpServer) -> None:
    """agent2 can neither read nor dispose of agent1's call (403 not_your_call); a call id
    the engine never saw is 404 call_unknown, with or without an outcome; nothing is stored."""
    s = erp_server
    await handled(s, "3.3", agent="2001")
    status, _ = await s.call("POST", "/api/calls/3.3/disposition", json={"code": "sale"})
    assert status == 201
    other = await as_agent2(s)
    status, body = await s.call("GET", "/api/calls/3.3/disposition", role=None, headers=other)
    assert (status, body["error"]["code"]) == (403, "not_your_call")
    status, body = await s.call(
        "POST", "/api/calls/3.3/disposition", role=None, headers=other, json={"code": "x"}
    )
    assert (status, body["error"]["code"]) == (403, "not_your_call")
    status, body = await s.call(
        "POST",
        "/api/calls/nonexistent-call-id/disposition",
        json={"code": "sale", "outcome": {"kind": "sales_order", "payload": ORDER}},
    )
    assert (status, body["error"]["code"]) == (404, "call_unknown")
    status, body = await s.call("GET", "/api/calls/nonexistent-call-id/disposition")
    assert status == 404
    assert await _count(s, call_dispositions) == 1
    assert await _count(s, outbox) == 0
    # the agent who handled it and a supervisor read it
    status, body = await s.call("GET", "/api/calls/3.3/disposition")
    assert (status, [d["agent"] for d in body["dispositions"]]) == (200, ["agent1"])
    status, body = await s.call("GET", "/api/calls/3.3/disposition", role=Role.SUPERVISOR)
    assert status == 200 and len(body["dispositions"]) == 1


async def test_one_disposition_per_call_corrected_by_a_supervisor(erp_server: ErpServer) -> None:
    """A second disposition of a call is 409 disposition_exists (for the supervisor too); a
    supervisor corrects it with PUT and the audit log keeps before, after and why; an agent may
    not correct."""
    s = erp_server
    await handled(s, "4.4")
    status, _ = await s.call("POST", "/api/calls/4.4/disposition", json={"code": "sale"})
    assert status == 201
    for role in (Role.AGENT, Role.SUPERVISOR):
        status, body = await s.call(
            "POST", "/api/calls/4.4/disposition", role=role, json={"code": "no_interest"}
        )
        assert (status, body["error"]["code"]) == (409, "disposition_exists")
    fix = {"code": "no_interest", "notes": "customer hung up", "reason": "wrong code"}
    status, body = await s.call("PUT", "/api/calls/4.4/disposition", json=fix)
    assert status == 403
    status, body = await s.call("PUT", "/api/calls/4.4/disposition", role=Role.SUPERVISOR, json=fix)
    assert status == 200, body
    assert (body["code"], body["notes"], body["agent"]) == (
        "no_interest",
        "customer hung up",
        "agent1",
    )
    status, body = await s.call("PUT", "/api/calls/9.9/disposition", role=Role.SUPERVISOR, json=fix)
    assert (status, body["error"]["code"]) == (404, "disposition_unknown")
    [entry] = await AuditLog(s.engine).entries("disposition_corrected")
    assert (entry.actor, entry.target, entry.address) == ("supervisor1", "4.4", "127.0.0.1")
    assert entry.details == {
        "before": {"code": "sale", "notes": ""},
        "after": {"code": "no_interest", "notes": "customer hung up"},
        "reason": "wrong code",
        "agent": "agent1",
    }
    assert await _count(s, call_dispositions) == 1


async def test_supervisor_disposes_of_a_call_no_agent_took(erp_server: ErpServer) -> None:
    """A call that was abandoned in queue is known: no agent may dispose of it, a supervisor
    may."""
    s = erp_server
    await handled(s, "5.5", agent=None)
    status, body = await s.call("POST", "/api/calls/5.5/disposition", json={"code": "abandoned"})
    assert (status, body["error"]["code"]) == (403, "not_your_call")
    status, body = await s.call(
        "POST", "/api/calls/5.5/disposition", role=Role.SUPERVISOR, json={"code": "abandoned"}
    )
    assert status == 201

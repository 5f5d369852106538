"""Call outcomes through the outbox, seen through the API: delivered by the running worker,
rejected with the ERP's reason, dead after the ERP stayed unreachable, retried by a
supervisor."""

from __future__ import annotations

import asyncio
from typing import Any

from atende.auth import Role
from erp_bridge.outbox.worker import RetryPolicy
from erp_bridge.protheus.adapter import ProtheusErp
from erp_bridge.protheus.client import ProtheusClient, ProtheusConfig
from tests.erp_api.conftest import ErpServer, closed_port, handled

ORDER = {
    "customer_code": "000002",
    "customer_store": "01",
    "lines": [{"product": "P1", "quantity": "4"}],
}


async def wait_status(
    s: ErpServer, outcome_id: str, status: str, role: Role = Role.AGENT
) -> dict[str, Any]:
    """Poll the outcome as the agent desktop does until it reaches ``status`` (10 s at most)."""
    body: dict[str, Any] = {}
    for _ in range(200):
        code, body = await s.call("GET", f"/api/erp/outcomes/{outcome_id}", role)
        assert code == 200, body
        if body["status"] == status:
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"outcome stayed {body.get('status')}: {body}")


async def test_outcome_delivered_by_the_running_worker_or_rejected_with_reason(
    erp_server: ErpServer,
) -> None:
    """An order recorded as the call's outcome is delivered once by the running worker and
    shows delivered with the order made; an order for a product the ERP does not know shows
    rejected with the ERP's code and message; a promise outcome takes its title off the
    collection list; the supervisor's outbox counts them."""
    s = erp_server
    call_id = "1764255600.42"
    await handled(s, call_id)  # agent1 (2001) took the call
    async with s.worker():
        status, stored = await s.call(
            "POST",
            "/api/erp/outcomes",
            json={"kind": "sales_order", "payload": ORDER, "call_id": call_id},
        )
        assert (status, stored["status"]) == (202, "pending"), stored
        delivered = await wait_status(s, stored["id"], "delivered")
        assert delivered["result"]["status"] == "released"
        assert delivered["agent"] == "agent1" and delivered["call_id"] == call_id

        wrong = {**ORDER, "lines": [{"product": "NOPE", "quantity": "1"}]}
        status, stored2 = await s.call(
            "POST",
            "/api/erp/outcomes",
            json={"kind": "sales_order", "payload": wrong, "call_id": call_id},
        )
        assert status == 202
        rejected = await wait_status(s, stored2["id"], "rejected")

        status, work = await s.call("GET", "/api/erp/collection?customer_code=000002")
        oldest = work["titles"][0]
        promise = {
            "customer_code": "000002",
            "customer_store": "01",
            "titles": [[oldest["prefix"], oldest["number"], oldest["installment"]]],
            "promised_on": "2026-12-05",
            "amount": "250.00",
        }
        status, stored3 = await s.call(
            "POST",
            "/api/erp/outcomes",
            json={"kind": "promise", "payload": promise},
            role=Role.SUPERVISOR,
        )
        kept = await wait_status(s, stored3["id"], "delivered", Role.SUPERVISOR)
    assert (kept["result"]["status"], kept["result"]["amount"]) == ("open", "250.00")
    status, work = await s.call("GET", "/api/erp/collection?customer_code=000002")
    assert [t["installment"] for t in work["titles"]] == ["B"]
    assert rejected["reject_code"] == "product_unknown"
    assert "NOPE" in rejected["reject_message"] and rejected["result"] is None

    order = delivered["result"]["order"]
    status, state = await s.call("GET", f"/api/erp/orders/{order}")
    assert (status, state["status"], state["total"]) == (200, "released", "40.00")

    status, of_call = await s.call("GET", f"/api/erp/calls/{call_id}/outcomes")
    assert [o["status"] for o in of_call["outcomes"]] == ["delivered", "rejected"]
    assert of_call["outcomes"][0]["id"] == stored["id"]

    status, board = await s.call("GET", "/api/erp/outbox?status=rejected", Role.SUPERVISOR)
    assert status == 200
    assert board["counts"] == {"pending": 0, "delivered": 2, "rejected": 1, "dead": 0}
    [shown] = board["outcomes"]
    assert (shown["id"], shown["reject_code"]) == (stored2["id"], "product_unknown")

    bad_order = {"kind": "sales_order", "payload": {**ORDER, "lines": []}, "call_id": call_id}
    status, bad = await s.call("POST", "/api/erp/outcomes", json=bad_order)
    assert (status, bad["error"]["code"]) == (422, "order_empty")
    status, bad = await s.call("POST", "/api/erp/outcomes", json={"kind": "refund", "payload": {}})
    assert (status, bad["error"]["code"]) == (422, "invalid_request")


async def test_dead_outcome_is_retried_by_a_supervisor_and_then_delivered(
    erp_server: ErpServer,
) -> None:
    """While the ERP is unreachable (Protheus on a closed port) an order outcome dies after
    its attempts; the supervisor sees it with the last error; an agent may not see the outbox
    nor retry; the supervisor's retry puts it back and the worker delivers it once the ERP
    answers."""
    s = erp_server
    await handled(s, "c-9")
    status, stored = await s.call(
        "POST",
        "/api/erp/outcomes",
        json={"kind": "sales_order", "payload": ORDER, "call_id": "c-9"},
    )
    assert status == 202, stored
    client = ProtheusClient(
        ProtheusConfig(f"http://127.0.0.1:{closed_port()}/rest", "01,0101", "u", "p", timeout=2)
    )
    try:
        async with s.worker(ProtheusErp(client), RetryPolicy(base=0.01, max_attempts=2)):
            dead = await wait_status(s, stored["id"], "dead")
    finally:
        await client.close()
    assert dead["attempts"] == 2 and "ClientConnectorError" in dead["last_error"]

    status, refused = await s.call("GET", "/api/erp/outbox?status=dead")
    assert (status, refused["error"]["code"]) == (403, "forbidden")
    status, refused = await s.call("POST", f"/api/erp/outbox/{stored['id']}/retry")
    assert (status, refused["error"]["code"]) == (403, "forbidden")

    status, board = await s.call("GET", "/api/erp/outbox?status=dead", Role.SUPERVISOR)
    assert [o["id"] for o in board["outcomes"]] == [stored["id"]]
    assert board["counts"]["dead"] == 1

    status, again = await s.call("POST", f"/api/erp/outbox/{stored['id']}/retry", Role.SUPERVISOR)
    assert (status, again["status"]) == (200, "pending")
    status, twice = await s.call("POST", f"/api/erp/outbox/{stored['id']}/retry", Role.SUPERVISOR)
    assert (status, twice["error"]["code"]) == (409, "outcome_not_dead")

    async with s.worker():
        delivered = await wait_status(s, stored["id"], "delivered")
    assert delivered["result"]["status"] == "released"
    status, position = await s.call("GET", "/api/erp/customers/000002/01/position")
    assert position["orders"]["count"] == 2 and position["released_orders"] == "40.00"


async def test_an_agent_records_outcomes_only_for_his_own_calls(erp_server: ErpServer) -> None:
    """An outcome names a call the engine handled: an unknown call is 404 ``call_unknown``,
    another agent's call 403 ``not_your_call``, none at all 422 ``call_required`` for an agent
    (a supervisor may record one without a call); nothing is stored for a refused one, and an
    agent cannot read another agent's outcome or a call he did not handle."""
    s = erp_server
    await handled(s, "mine")
    await handled(s, "theirs", agent="2002")
    order = {"kind": "sales_order", "payload": ORDER}
    status, body = await s.call("POST", "/api/erp/outcomes", json={**order, "call_id": "nope"})
    assert (status, body["error"]["code"]) == (404, "call_unknown")
    status, body = await s.call("POST", "/api/erp/outcomes", json={**order, "call_id": "theirs"})
    assert (status, body["error"]["code"]) == (403, "not_your_call")
    status, body = await s.call("POST", "/api/erp/outcomes", json=order)
    assert (status, body["error"]["code"]) == (422, "call_required")
    assert body["error"]["fields"][0]["field"] == "call_id"
    status, body = await s.call("GET", "/api/erp/calls/theirs/outcomes")
    assert (status, body["error"]["code"]) == (403, "not_your_call")
    status, board = await s.call("GET", "/api/erp/outbox", Role.SUPERVISOR)
    assert sum(board["counts"].values()) == 0

    status, by_supervisor = await s.call(
        "POST", "/api/erp/outcomes", json={**order, "call_id": "theirs"}, role=Role.SUPERVISOR
    )
    assert status == 202
    status, body = await s.call("GET", f"/api/erp/outcomes/{by_supervisor['id']}")
    assert (status, body["error"]["code"]) == (404, "outcome_unknown")
    status, mine = await s.call("POST", "/api/erp/outcomes", json={**order, "call_id": "mine"})
    assert status == 202
    status, body = await s.call("GET", f"/api/erp/outcomes/{mine['id']}")
    assert (status, body["call_id"]) == (200, "mine")

"""An agent acts in the ERP only for the customers of his calls of today: another customer is
403 ``not_your_customer`` (searches and the collection list are narrowed instead); supervisors
see every customer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from atende.auth import Role
from crm_sync.adapters.sql_interactions import SqlInteractions
from crm_sync.domain.interactions import Interaction
from tests.erp_api.conftest import ErpServer, handled
from tests.erp_api.test_disposition_api import as_agent2

ORDER = {
    "customer_code": "000002",
    "customer_store": "01",
    "lines": [{"product": "P1", "quantity": "1"}],
}
PROMISE = {
    "customer_code": "000002",
    "customer_store": "01",
    "titles": [],
    "promised_on": "2026-12-01",
    "amount": "10.00",
}
TICKET = {
    "customer_code": "000002",
    "customer_store": "01",
    "product": "P2",
    "serial": "",
    "description": "does not start",
}


async def _as(s: ErpServer, headers: dict[str, str], method: str, path: str, **kw: Any) -> Any:
    status, body = await s.call(method, path, role=None, headers=headers, **kw)
    return status, body


async def test_an_agent_with_no_call_of_the_customer_is_refused(erp_server: ErpServer) -> None:
    """agent2 took no call today: the customer's position, contacts, an order, a promise, a
    ticket, an outcome of his own call and an order he did not enter are all 403
    ``not_your_customer``; the phone search and the collection list find nobody for him.
    agent1, whose call today was with the customer, and a supervisor get through."""
    s = erp_server
    agent2 = await as_agent2(s)
    call = "1764255600.9"
    await handled(s, call, agent="2002")  # agent2's own call, but not with this customer
    outcome = {"kind": "sales_order", "payload": ORDER}
    refused = [
        ("GET", "/api/erp/customers/000002/01/position", {}),
        ("GET", "/api/erp/customers/000002/01/contacts", {}),
        ("POST", "/api/erp/orders", {"json": ORDER}),
        ("POST", "/api/erp/promises", {"json": PROMISE}),
        ("POST", "/api/erp/tickets", {"json": TICKET}),
        ("POST", "/api/erp/outcomes", {"json": {**outcome, "call_id": call}}),
        ("POST", f"/api/calls/{call}/disposition", {"json": {"code": "sale", "outcome": outcome}}),
    ]  # fmt: skip
    for method, path, kw in refused:
        status, body = await _as(s, agent2, method, path, **kw)
        assert (status, body["error"]["code"]) == (403, "not_your_customer"), (path, body)

    status, placed = await s.call("POST", "/api/erp/orders", json=ORDER)  # agent1 may
    assert status == 201, placed
    status, body = await _as(s, agent2, "GET", f"/api/erp/orders/{placed['order']}")
    assert (status, body["error"]["code"]) == (403, "not_your_customer")
    status, _ = await s.call("GET", f"/api/erp/orders/{placed['order']}")
    assert status == 200

    status, found = await _as(s, agent2, "GET", "/api/erp/customers?phone=%2B5521988887777")
    assert (status, found["customers"]) == (200, [])
    status, found = await s.call("GET", "/api/erp/customers?phone=%2B5521988887777")
    assert [c["code"] for c in found["customers"]] == ["000002"]
    status, titles = await _as(s, agent2, "GET", "/api/erp/collection")
    assert (status, titles["titles"]) == (200, [])
    status, titles = await s.call("GET", "/api/erp/collection", role=Role.SUPERVISOR)
    assert {t["customer_code"] for t in titles["titles"]} == {"000002"}
    status, _ = await s.call("GET", "/api/erp/customers/000002/01/position", role=Role.SUPERVISOR)
    assert status == 200


async def test_a_call_of_yesterday_does_not_count(erp_server: ErpServer) -> None:
    """agent2's call with the customer yesterday gives him nothing today; one today does."""
    s = erp_server
    agent2 = await as_agent2(s)
    records = SqlInteractions(s.engine)
    yesterday = datetime.now(UTC).replace(hour=12) - timedelta(days=1)
    await records.record(Interaction("y-1", "000002", "01", "2002", "sales", yesterday))
    path = "/api/erp/customers/000002/01/position"
    status, body = await _as(s, agent2, "GET", path)
    assert (status, body["error"]["code"]) == (403, "not_your_customer")
    await records.record(Interaction("t-1", "000002", "01", "2002", "sales", datetime.now(UTC)))
    status, _ = await _as(s, agent2, "GET", path)
    assert status == 200

"""Telecobrança and field service through the API: overdue titles, promises to pay, service
tickets from opening to closing."""

from __future__ import annotations

from atende.auth import Role
from tests.erp_api.conftest import ErpServer


async def test_promise_to_pay_takes_titles_off_the_collection_list(erp_server: ErpServer) -> None:
    """The collection list shows customer 000002's two overdue installments with interest; the
    agent records a promise on the oldest one; the list no longer shows it while the promise
    is open, and the title is still open on the customer's position."""
    s = erp_server
    status, work = await s.call("GET", "/api/erp/collection?customer_code=000002")
    assert status == 200
    titles = work["titles"]
    assert [(t["installment"], t["days_late"]) for t in titles] == [("A", 57), ("B", 27)]
    assert all(t["balance"] == "500.00" and not t["broken_promise"] for t in titles)
    assert titles[0]["interest"] == "9.41"
    oldest = titles[0]

    promise = {
        "customer_code": "000002",
        "customer_store": "01",
        "titles": [[oldest["prefix"], oldest["number"], oldest["installment"]]],
        "promised_on": "2026-12-02",
        "amount": "500.00",
    }
    status, made = await s.call("POST", "/api/erp/promises", json=promise)
    assert status == 201, made
    assert (made["status"], made["amount"], made["promised_on"]) == ("open", "500.00", "2026-12-02")

    status, work = await s.call("GET", "/api/erp/collection?customer_code=000002")
    assert [t["installment"] for t in work["titles"]] == ["B"]
    status, later = await s.call("GET", "/api/erp/collection?customer_code=000002&min_days=30")
    assert later["titles"] == []

    status, position = await s.call("GET", "/api/erp/customers/000002/01/position")
    assert status == 200
    open_titles = {t["installment"]: t for t in position["open_titles"]}
    assert sorted(open_titles) == ["A", "B", "C"]
    assert open_titles["A"]["days_late"] == 57 and position["overdue_amount"] == "1000.00"

    past = {**promise, "promised_on": "2026-11-20"}
    status, refused = await s.call("POST", "/api/erp/promises", json=past)
    assert (status, refused["error"]["code"]) == (422, "promise_date_past")
    too_much = {**promise, "amount": "900.00"}
    status, refused = await s.call("POST", "/api/erp/promises", json=too_much)
    assert (status, refused["error"]["code"]) == (422, "promise_amount_invalid")

    status, listed = await s.call("GET", "/api/erp/collection", Role.CAMPAIGN_MANAGER)
    assert status == 200 and [t["installment"] for t in listed["titles"]] == ["B"]


async def test_service_ticket_from_opening_to_closing(erp_server: ErpServer) -> None:
    """The agent opens a ticket for a coffee machine, adds a note, makes the work order with a
    part and a visit; the ticket cannot close while the work order is open; the technician's
    closing visit, closing the work order and the ticket close it."""
    s = erp_server
    ticket = {
        "customer_code": "000002",
        "customer_store": "01",
        "product": "P2",
        "serial": "MC-0001",
        "description": "machine leaks water",
    }
    status, opened = await s.call("POST", "/api/erp/tickets", json=ticket)
    assert status == 201, opened
    assert (opened["status"], opened["work_order"]) == ("open", "")
    path = f"/api/erp/tickets/{opened['number']}"

    status, noted = await s.call("PATCH", path, json={"note": "customer says since Monday"})
    assert (status, noted["status"]) == (200, "open")

    lines = [
        {"kind": "part", "product": "P1", "quantity": "1", "unit_price": "10.00"},
        {"kind": "service", "product": "SRV001", "quantity": "1", "unit_price": "150.00"},
    ]
    status, ordered = await s.call("PATCH", path, json={"work_lines": lines})
    assert status == 200, ordered
    assert ordered["work_order"] and ordered["work_order_status"] == "open"

    status, refused = await s.call("PATCH", path, json={"close": True})
    assert (status, refused["error"]["code"]) == (409, "work_order_open")

    visit = {"technician": "T01", "started_at": "2026-11-27T13:00:00Z", "closed": True}
    status, visited = await s.call(
        "PATCH", path, json={"visit": {**visit, "ended_at": "2026-11-27T14:10:00Z"}}
    )
    assert (status, visited["work_order_status"]) == (200, "attended")

    status, closed = await s.call("PATCH", path, json={"close_work_order": True, "close": True})
    assert status == 200, closed
    assert (closed["status"], closed["work_order_status"]) == ("closed", "closed")

    other = {**ticket, "customer_code": "000001"}
    status, refused = await s.call("POST", "/api/erp/tickets", json=other)
    assert (status, refused["error"]["code"]) == (409, "serial_of_other_customer")
    status, refused = await s.call("POST", "/api/erp/tickets", json={**ticket, "description": " "})
    assert (status, refused["error"]["code"]) == (422, "description_required")
    status, missing = await s.call(
        "PATCH", "/api/erp/tickets/999999", Role.SUPERVISOR, json={"note": "x"}
    )
    assert (status, missing["error"]["code"]) == (404, "ticket_unknown")

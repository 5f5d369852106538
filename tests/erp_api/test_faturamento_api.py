"""Faturamento through the API as its users work it: the agent enters an order, the credit
analyst releases or rejects it, billing invoices it."""

from __future__ import annotations

from decimal import Decimal

from atende.auth import Role
from tests.erp_api.conftest import RISK_A, ErpServer


async def test_order_over_limit_is_blocked_01_released_by_customer_and_invoiced(
    erp_server: ErpServer,
) -> None:
    """A risk-C customer orders over its limit: the order is held with code 01 on each item;
    the analyst finds it among the customer's blocked orders and releases by customer; billing
    invoices it and the receivables (one per installment) show on the customer's position."""
    s = erp_server
    status, found = await s.call("GET", "/api/erp/customers?tax_id=11.222.333/0001-81")
    assert status == 200
    [customer] = found["customers"]
    assert (customer["code"], customer["store"], customer["risk"]) == ("000001", "01", "C")

    status, by_phone = await s.call("GET", "/api/erp/customers?phone=(11) 98765-4321")
    assert status == 200 and by_phone["customers"] == found["customers"]

    status, products = await s.call("GET", "/api/erp/products?search=maquina")
    assert status == 200
    [machine] = products["products"]
    assert (machine["code"], machine["list_price"], machine["available"]) == ("P2", "50.00", "170")

    order = {
        "customer_code": "000001",
        "customer_store": "01",
        "payment_terms": "004",
        "lines": [
            {"product": "P2", "quantity": "20"},
            {"product": "P1", "quantity": "15", "unit_price": "9.90"},
        ],
    }
    status, placed = await s.call("POST", "/api/erp/orders", json=order)
    assert status == 201, placed
    assert placed["status"] == "blocked_credit" and placed["code"] == "credit_blocked"
    assert [ln["credit_block"] for ln in placed["lines"]] == ["01", "01"]
    assert placed["released_value"] == "0.00"
    number = placed["order"]

    status, held = await s.call(
        "GET", "/api/erp/credit/blocked?customer_code=000001", Role.SUPERVISOR
    )
    assert status == 200
    [view] = held["orders"]
    assert view["order"] == number and view["credit_blocked_value"] == "1148.50"

    status, refused = await s.call("POST", "/api/erp/credit/customers/000001/01/release")
    assert (status, refused["error"]["code"]) == (403, "forbidden")

    status, released = await s.call(
        "POST", "/api/erp/credit/customers/000001/01/release", Role.SUPERVISOR
    )
    assert status == 200, released
    assert [o["status"] for o in released["orders"]] == ["released"]
    assert released["released_value"] == "1148.50"

    status, state = await s.call("GET", f"/api/erp/orders/{number}")
    assert status == 200 and state["status"] == "released"
    assert all(ln["credit_block"] == ln["stock_block"] == "" for ln in state["lines"])

    status, invoice = await s.call("POST", f"/api/erp/orders/{number}/invoice", Role.SUPERVISOR)
    assert status == 201, invoice
    assert invoice["total"] == "1148.50" and invoice["order_status"] == "invoiced"
    titles = invoice["receivables"]
    assert [t["installment"] for t in titles] == ["A", "B"]
    assert [t["due"] for t in titles] == ["2026-12-25", "2027-01-22"]
    assert sum(Decimal(t["value"]) for t in titles) == Decimal("1148.50")

    status, position = await s.call("GET", "/api/erp/customers/000001/01/position")
    assert status == 200
    assert position["open_receivables"] == "1148.50"
    assert [(t["number"], t["installment"]) for t in position["open_titles"]] == [
        (invoice["number"], "A"),
        (invoice["number"], "B"),
    ]
    assert position["invoices"][0]["number"] == invoice["number"]

    status, again = await s.call("POST", f"/api/erp/orders/{number}/invoice", Role.SUPERVISOR)
    assert (status, again["error"]["code"]) == (409, "nothing_to_invoice")


async def test_release_up_to_an_amount_then_reject_the_rest(erp_server: ErpServer) -> None:
    """The first order fits the 1000.00 limit, three more are held; releasing by customer up
    to 700.00 releases the oldest held one only, an order is rejected by item (09), and
    rejecting by customer clears the last one."""
    s = erp_server
    numbers = []
    for qty in ("12", "13", "14", "15"):
        order = {
            "customer_code": "000001",
            "customer_store": "01",
            "lines": [{"product": "P2", "quantity": qty}],
        }
        status, placed = await s.call("POST", "/api/erp/orders", json=order)
        assert status == 201, placed
        numbers.append(placed["order"])
    status, first = await s.call("GET", f"/api/erp/orders/{numbers[0]}")
    assert first["status"] == "released"
    status, held = await s.call("GET", "/api/erp/credit/blocked", Role.SUPERVISOR)
    blocked = [o["order"] for o in held["orders"]]
    assert blocked == numbers[1:]

    status, partial = await s.call(
        "POST", "/api/erp/credit/customers/000001/01/release", Role.ADMIN, json={"up_to": "700.00"}
    )
    assert status == 200, partial
    assert [o["order"] for o in partial["orders"]] == [blocked[0]]

    status, rejected = await s.call(
        "POST",
        f"/api/erp/credit/orders/{blocked[1]}/reject",
        Role.SUPERVISOR,
        json={"items": ["01"]},
    )
    assert status == 200 and rejected["status"] == "rejected"
    assert rejected["lines"][0]["credit_block"] == "09"

    status, rest = await s.call(
        "POST", "/api/erp/credit/customers/000001/01/reject", Role.SUPERVISOR
    )
    assert status == 200
    assert [(o["order"], o["status"]) for o in rest["orders"]] == [(blocked[2], "rejected")]
    status, held = await s.call("GET", "/api/erp/credit/blocked", Role.SUPERVISOR)
    assert held["orders"] == []

    status, bad = await s.call(
        "POST", "/api/erp/credit/customers/000001/01/release", Role.SUPERVISOR, json={"up_to": "-1"}
    )
    assert (status, bad["error"]["code"]) == (422, "amount_invalid")


async def test_release_one_order_and_the_risk_a_customer_passes(erp_server: ErpServer) -> None:
    """A risk-A customer's order is released on entry (an ``Idempotency-Key`` repeated gives
    the first answer and no second order; JSON numbers are read as exact decimals); a risk-C
    order over the limit released by order number becomes ready to invoice; an unknown order
    is 404 ``order_unknown``."""
    s = erp_server
    order = {
        "customer_code": RISK_A[0],
        "customer_store": "01",
        "lines": [{"product": "P1", "quantity": "3"}],
    }
    status, placed = await s.call("POST", "/api/erp/orders", json=order)
    assert (status, placed["status"], placed["code"]) == (201, "released", "released")
    assert placed["released_value"] == "30.00"
    key = {"Idempotency-Key": "call-1764255600.9-order"}
    status, first = await s.call("POST", "/api/erp/orders", json=order, headers=key)
    status, repeat = await s.call("POST", "/api/erp/orders", json=order, headers=key)
    assert status == 201 and repeat == first and first["order"] != placed["order"]
    status, position = await s.call("GET", "/api/erp/customers/000002/01/position")
    assert position["orders"]["count"] == 3  # September's, the first and the keyed one
    status, priced = await s.call(
        "POST",
        "/api/erp/orders",
        data=b'{"customer_code": "000002", "customer_store": "01",'
        b' "lines": [{"product": "P1", "quantity": 1, "unit_price": 9.99}]}',
    )
    assert (status, priced["lines"][0]["value"]) == (201, "9.99")

    big = {
        "customer_code": "000001",
        "customer_store": "01",
        "lines": [{"product": "P2", "quantity": "30"}],
    }
    status, held = await s.call("POST", "/api/erp/orders", json=big)
    assert held["status"] == "blocked_credit"
    status, released = await s.call(
        "POST", f"/api/erp/credit/orders/{held['order']}/release", Role.SUPERVISOR, json={}
    )
    assert (status, released["status"], released["released_value"]) == (200, "released", "1500.00")

    status, missing = await s.call("POST", "/api/erp/credit/orders/999999/release", Role.SUPERVISOR)
    assert (status, missing["error"]["code"]) == (404, "order_unknown")

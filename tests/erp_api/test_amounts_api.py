"""Amounts at the edge of the order API: bounds the database holds, discounts to the cent,
money in cents wherever it is shown or summed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.erp_api.conftest import RISK_A, RISK_C, ErpServer


def _order(*lines: dict[str, Any], customer: tuple[str, str] = RISK_A) -> dict[str, Any]:
    return {"customer_code": customer[0], "customer_store": customer[1], "lines": list(lines)}


async def test_out_of_range_amounts_are_refused_and_nothing_is_written(
    erp_server: ErpServer,
) -> None:
    """Quantities and prices the columns cannot hold (1e30, 1e20, 99999999999999999999,
    a price of 100000000000000.00), a price of 0, a delivery date in the past, a quantity x
    price over the largest amount, and an unknown field are each a 422 with a clear code, on
    SQLite and PostgreSQL alike, and no order is made."""
    s = erp_server
    bad: list[tuple[dict[str, Any], str]] = [
        ({"product": "P1", "quantity": "1e30"}, "quantity_invalid"),
        ({"product": "P1", "quantity": 1e20}, "quantity_invalid"),
        ({"product": "P1", "quantity": 99999999999999999999}, "quantity_invalid"),
        ({"product": "P1", "quantity": "1", "unit_price": "100000000000000.00"}, "price_invalid"),
        ({"product": "P1", "quantity": "1", "unit_price": "0"}, "price_invalid"),
        ({"product": "P1", "quantity": "1", "unit_price": "0.001"}, "price_invalid"),
        (
            {"product": "P1", "quantity": "1", "delivery_date": "2026-11-26"},
            "delivery_date_invalid",
        ),
        (
            {"product": "P1", "quantity": "99999999999999", "unit_price": "2.00"},
            "amount_too_large",
        ),
        ({"product": "P1", "quantity": "1", "discount": "10.00"}, "discount_invalid"),
        (
            {"product": "P1", "quantity": "1", "discount": "1.00", "discount_percent": "5"},
            "discount_invalid",
        ),
        ({"product": "P1", "quantity": "1", "discount_percent": "100"}, "discount_invalid"),
        ({"product": "P1", "quantity": "1", "rebate": "1.00"}, "invalid_request"),
    ]
    for line, code in bad:
        status, body = await s.call("POST", "/api/erp/orders", json=_order(line))
        assert (status, body["error"]["code"]) == (422, code), (line, body)
        assert body["error"]["message"], line
    status, body = await s.call("POST", "/api/erp/orders", json=_order({"product": "P1"}))
    assert (status, body["error"]["code"]) == (422, "invalid_request")
    error = body["error"]
    fields = error["fields"] if "fields" in error else error["details"]["fields"]
    assert fields == [{"field": "lines.0.quantity", "problem": "Field required"}]
    status, position = await s.call("GET", f"/api/erp/customers/{RISK_A[0]}/{RISK_A[1]}/position")
    assert status == 200 and position["orders"]["count"] == 1  # the September order only


async def test_discounts_are_charged_to_the_cent(erp_server: ErpServer) -> None:
    """A 12.5% discount on 3 x 9.99 and 1.50 off 2 x 50.00 are taken off the lines to the cent
    (26.22 and 98.50); the order, the released value, the invoice and its receivables all
    carry the discounted total 124.72."""
    s = erp_server
    status, placed = await s.call(
        "POST",
        "/api/erp/orders",
        json=_order(
            {"product": "P1", "quantity": "3", "unit_price": "9.99", "discount_percent": "12.5"},
            {"product": "P2", "quantity": "2", "discount": "1.50"},
        ),
    )
    assert status == 201, placed
    assert [ln["value"] for ln in placed["lines"]] == ["26.22", "98.50"]
    assert placed["released_value"] == "124.72"
    status, invoice = await s.call("POST", f"/api/erp/orders/{placed['order']}/invoice", "admin")
    assert status == 201, invoice
    assert invoice["total"] == "124.72"
    assert sum(Decimal(t["value"]) for t in invoice["receivables"]) == Decimal("124.72")


async def test_position_rounds_released_orders_to_cents(erp_server: ErpServer) -> None:
    """0.3333 x 33.33 is an item of 11.11; the position's released and open order values are
    that, not 11.108889."""
    s = erp_server
    status, placed = await s.call(
        "POST",
        "/api/erp/orders",
        json=_order({"product": "P1", "quantity": "0.3333", "unit_price": "33.33"}),
    )
    assert status == 201 and placed["lines"][0]["value"] == "11.11", placed
    status, position = await s.call("GET", f"/api/erp/customers/{RISK_A[0]}/{RISK_A[1]}/position")
    assert status == 200
    assert position["orders"]["released"] == "11.11"
    assert position["released_orders"] == "11.11"


async def test_stock_blocked_order_says_what_is_short_not_the_credit_rule(
    erp_server: ErpServer,
) -> None:
    """A risk-A customer (credit approved) orders more machines than in stock, whole order:
    blocked by stock, no credit reason, the reason names the item, what is free and what
    waits. A risk-C customer over the limit gets the credit reason with amounts in cents."""
    s = erp_server
    status, placed = await s.call(
        "POST",
        "/api/erp/orders",
        json={**_order({"product": "P2", "quantity": "171"}), "release_mode": "whole"},
    )
    assert status == 201, placed
    assert (placed["status"], placed["code"]) == ("blocked_stock", "stock_blocked")
    assert placed["credit_reason"] == ""
    assert placed["stock_reason"] == "item 01 P2: 170 available, 171 waiting"
    assert placed["reason"] == placed["stock_reason"]

    status, held = await s.call(
        "POST", "/api/erp/orders", json=_order({"product": "P2", "quantity": "21"}, customer=RISK_C)
    )
    assert status == 201 and held["code"] == "credit_blocked"
    assert held["reason"] == "exposure 1050.00 over limit 1000.00"

"""Every order able to finish: blocked items judged again after a stock entry, a completed
production order, a payment or a limit change; price tables priced to the cent."""

from __future__ import annotations

from typing import Any

from atende.auth import Role
from tests.erp_api.conftest import RISK_A, RISK_C, ErpServer


def _order(customer: tuple[str, str], *lines: dict[str, Any]) -> dict[str, Any]:
    return {"customer_code": customer[0], "customer_store": customer[1], "lines": list(lines)}


async def _put(s: ErpServer, kind: str, *rows: dict[str, Any]) -> dict[str, Any]:
    status, report = await s.call(
        "PUT", f"/api/erp/master/{kind}", Role.ADMIN, json={"rows": list(rows)}
    )
    assert status == 200 and report["refused"] == [], report
    return dict(report)


async def test_stock_blocked_order_finishes_after_a_stock_entry(erp_server: ErpServer) -> None:
    """171 machines ordered whole with 170 free: blocked 02. An input document of 10 machines
    re-judges it: released, invoiced; its history says the ERP released it. Entering the same
    document again adds no stock."""
    s = erp_server
    body = {**_order(RISK_A, {"product": "P2", "quantity": "171"}), "release_mode": "whole"}
    status, placed = await s.call("POST", "/api/erp/orders", json=body)
    assert status == 201 and placed["status"] == "blocked_stock"
    number = placed["order"]
    entry = {
        "document": "NF-000123",
        "item": "0001",
        "product": "P2",
        "quantity": "10",
        "entered_on": "2026-11-27",
        "supplier": "F001",
    }
    report = await _put(s, "stock_entries", entry)
    assert report["added"] == 1 and report["reanalysed"] == [number]
    status, state = await s.call("GET", f"/api/erp/orders/{number}")
    assert state["status"] == "released"
    assert [(h["action"], h["by"]) for h in state["history"]][-1] == ("re_analysed", "")
    again = await _put(s, "stock_entries", entry)
    assert (again["added"], again["unchanged"], again["reanalysed"]) == (0, 1, [])
    status, products = await s.call("GET", "/api/erp/products?codes=P2")
    assert products["products"][0]["on_hand"] == "180"  # 200 - 30 invoiced + 10, once
    status, invoice = await s.call("POST", f"/api/erp/orders/{number}/invoice", Role.SUPERVISOR)
    assert status == 201 and invoice["order_status"] == "invoiced"


async def test_made_in_house_item_finishes_after_its_production_order(
    erp_server: ErpServer,
) -> None:
    """Ten grinders made in-house (2 motors each) with none in stock: the order waits (02);
    the production run makes a production order of 10 and reserves 20 motors; completing 4
    releases 4 of the order, completing the other 6 releases the rest and consumes the
    motors; completing again is refused."""
    s = erp_server
    await _put(
        s,
        "products",
        {"code": "M1", "description": "Moedor", "in_house": "true", "list_price": "80.00"},
        {"code": "C1", "description": "Motor", "list_price": "20.00"},
    )
    await _put(s, "bom", {"product": "M1", "component": "C1", "quantity": "2"})
    await _put(s, "stock", {"product": "M1", "on_hand": "0"}, {"product": "C1", "on_hand": "25"})
    status, placed = await s.call(
        "POST", "/api/erp/orders", json=_order(RISK_A, {"product": "M1", "quantity": "10"})
    )
    assert status == 201 and placed["status"] == "blocked_stock", placed
    number = placed["order"]
    status, run = await s.call("POST", "/api/erp/production/run", Role.SUPERVISOR)
    assert status == 201, run
    [po] = run["production_orders"]
    assert (po["product"], po["quantity"], po["order"]) == ("M1", "10", number)
    status, motors = await s.call("GET", "/api/erp/products?codes=C1")
    assert (motors["products"][0]["on_hand"], motors["products"][0]["available"]) == ("25", "5")

    path = f"/api/erp/production/{po['number']}/complete"
    status, done = await s.call("POST", path, Role.SUPERVISOR, json={"quantity": "4"})
    assert status == 200 and (done["status"], done["completed"]) == ("partly_done", "4"), done
    status, state = await s.call("GET", f"/api/erp/orders/{number}")
    assert state["status"] == "partly_released"
    status, done = await s.call("POST", path, Role.SUPERVISOR, json={"quantity": "6"})
    assert status == 200 and done["status"] == "done"
    status, state = await s.call("GET", f"/api/erp/orders/{number}")
    assert state["status"] == "released"
    status, motors = await s.call("GET", "/api/erp/products?codes=C1")
    assert (motors["products"][0]["on_hand"], motors["products"][0]["available"]) == ("5", "5")
    status, body = await s.call("POST", path, Role.SUPERVISOR, json={"quantity": "1"})
    assert (status, body["error"]["code"]) == (409, "production_done")


async def test_limit_change_payment_and_price_tables(erp_server: ErpServer) -> None:
    """A price table's price and discount price an order to the cent (3 x 9.90 less 5% =
    28.21); a table out of date is refused. An order over the limit is released when the
    limit is raised; an order held by an overdue title is released when the title is paid."""
    s = erp_server
    await _put(
        s,
        "price_tables",
        {"code": "T1", "description": "Varejo", "valid_from": "2026-11-01"},
        {
            "code": "T0",
            "description": "Antiga",
            "valid_from": "2025-01-01",
            "valid_to": "2025-12-31",
        },
    )
    await _put(
        s, "prices", {"table": "T1", "product": "P1", "price": "9.90", "discount_percent": "5"}
    )
    customer = {
        "code": RISK_C[0],
        "store": RISK_C[1],
        "name": "Padaria Boa Vista Ltda",
        "tax_id": "11222333000181",
        "risk": "C",
        "credit_limit": "1000.00",
        "price_table": "T1",
    }
    await _put(s, "customers", customer)
    status, placed = await s.call(
        "POST", "/api/erp/orders", json=_order(RISK_C, {"product": "P1", "quantity": "3"})
    )
    assert status == 201 and placed["lines"][0]["value"] == "28.21", placed
    status, body = await s.call(
        "POST",
        "/api/erp/orders",
        json={**_order(RISK_C, {"product": "P1", "quantity": "1"}), "price_table": "T0"},
    )
    assert (status, body["error"]["code"]) == (409, "price_table_not_valid")

    status, held = await s.call(
        "POST", "/api/erp/orders", json=_order(RISK_C, {"product": "P2", "quantity": "20"})
    )
    assert held["status"] == "blocked_credit"  # 1000.00 + 28.21 released
    report = await _put(s, "customers", {**customer, "credit_limit": "2000.00"})
    assert report["changed"] == 1 and report["reanalysed"] == [held["order"]]
    status, state = await s.call("GET", f"/api/erp/orders/{held['order']}")
    assert state["status"] == "released"

    title = {
        "prefix": "LEG",
        "number": "77",
        "installment": "A",
        "customer_code": RISK_C[0],
        "customer_store": RISK_C[1],
        "issued": "2026-10-01",
        "due": "2026-11-01",
        "value": "40.00",
        "balance": "40.00",
    }
    await _put(s, "receivables", title)
    status, late = await s.call(
        "POST", "/api/erp/orders", json=_order(RISK_C, {"product": "P1", "quantity": "1"})
    )
    assert late["status"] == "blocked_credit" and "overdue 26 days" in late["reason"], late
    status, paid = await s.call(
        "POST",
        "/api/erp/payments",
        Role.SUPERVISOR,
        json={"prefix": "LEG", "number": "77", "installment": "A", "amount": "40.00"},
    )
    assert status == 201, paid
    status, state = await s.call("GET", f"/api/erp/orders/{late['order']}")
    assert state["status"] == "released"
    assert state["history"][-1]["action"] == "re_analysed"

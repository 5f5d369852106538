"""A site starting from empty: its customers, products, stock and open titles loaded through
the API from JSON, CSV and XLSX files (bad rows reported by line, re-imports doubling
nothing), then an order taken by phone that reaches invoicing."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook

from atende.auth import Role
from tests.erp_api.conftest import ErpServer

SUP = Role.SUPERVISOR  # the loaded customers are of no agent's call

CUSTOMERS_CSV = """code;store;name;tax_id;phone;risk;credit_limit;payment_terms
000100;01;Padaria Sol Ltda;11.222.333/0001-81;(11) 3333-4444;B;5000.00;002
000101;01;CPF Errado;123.456.789-00;;C;100;001
000102;01;Risco Z;52998224725;;Z;100;001
000103;01;;52998224725;;C;100;001
000104;01;Sem Prazo;52998224725;;C;100;999
000105;01;Joana Silva;529.982.247-25;11 98888-7777;C;1000.00;001
"""


def _xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def _upload(s: ErpServer, kind: str, data: bytes, fmt: str) -> tuple[int, Any]:
    return await s.call(
        "POST", f"/api/erp/master/{kind}/import?format={fmt}", Role.ADMIN, data=data
    )


async def test_empty_site_loads_its_books_and_invoices_an_order(empty_server: ErpServer) -> None:
    """Products as JSON, customers as CSV with a bad tax id, risk, name and payment terms
    (each reported by line and field, the good rows loaded), stock as XLSX with an unknown
    product and a negative count, a legacy open title; loading the same files again adds and
    changes nothing. An agent then finds the customer by phone, enters an order, and billing
    invoices it; only an admin may load data."""
    s = empty_server
    products = [
        {"code": "P1", "description": "Cafe 500g", "list_price": "10.00"},
        {"code": "P2", "description": "Moedor", "in_house": "S", "unit": "PC"},
        {"code": "P3", "description": "Sem preco", "list_price": "-1"},
    ]
    status, report = await s.call(
        "PUT", "/api/erp/master/products", Role.ADMIN, json={"rows": products}
    )
    assert status == 200, report
    assert (report["rows"], report["added"]) == (3, 2)
    assert [(p["line"], p["field"]) for p in report["refused"]] == [(3, "list_price")]
    status, body = await s.call(
        "PUT", "/api/erp/master/products", Role.SUPERVISOR, json={"rows": products}
    )
    assert (status, body["error"]["code"]) == (403, "forbidden")

    for _ in range(2):
        status, report = await _upload(s, "customers", CUSTOMERS_CSV.encode(), "csv")
        assert status == 200, report
        refused = [(p["line"], p["field"]) for p in report["refused"]]
        assert refused == [(3, "tax_id"), (4, "risk"), (5, "name"), (6, "payment_terms")]
    assert (report["rows"], report["added"], report["unchanged"]) == (6, 0, 2)

    stock = _xlsx(
        [
            ["product", "warehouse", "on_hand"],
            ["P1", "01", 120],
            ["NOPE", "01", 5],
            ["P2", "01", -3],
        ]
    )
    status, report = await _upload(s, "stock", stock, "xlsx")
    assert status == 200, report
    assert report["added"] == 1
    assert [(p["line"], p["field"]) for p in report["refused"]] == [(3, "product"), (4, "on_hand")]
    status, report = await _upload(s, "stock", stock, "xlsx")
    assert (report["added"], report["unchanged"]) == (0, 1)

    title = "prefix,number,installment,customer_code,customer_store,issued,due,value,balance\n"
    title += "LEG,000123,A,000100,01,2026-11-01,2026-12-01,300.00,250.00\n"
    for _ in range(2):
        status, report = await _upload(s, "receivables", title.encode(), "csv")
        assert status == 200 and report["refused"] == [], report
    status, position = await s.call("GET", "/api/erp/customers/000100/01/position", SUP)
    assert position["open_receivables"] == "250.00"

    status, found = await s.call("GET", "/api/erp/customers?phone=(11) 3333-4444", SUP)
    assert [c["code"] for c in found["customers"]] == ["000100"]
    order = {
        "customer_code": "000100",
        "customer_store": "01",
        "lines": [{"product": "P1", "quantity": "12"}],
    }
    status, placed = await s.call("POST", "/api/erp/orders", SUP, json=order)
    assert status == 201 and placed["status"] == "released", placed
    status, invoice = await s.call(
        "POST", f"/api/erp/orders/{placed['order']}/invoice", Role.SUPERVISOR
    )
    assert status == 201 and invoice["total"] == "120.00"
    assert [t["due"] for t in invoice["receivables"]] == ["2026-12-27"]  # terms 002: 30 days


async def test_contacts_and_unreadable_files(empty_server: ErpServer) -> None:
    """A contact's phone finds its customer; a contact of an unknown customer is refused; a
    file that is not XLSX, an unknown kind and an unknown column answer clear errors."""
    s = empty_server
    customer = {"code": "9", "store": "1", "name": "Loja", "tax_id": "11222333000181"}
    status, report = await s.call(
        "PUT", "/api/erp/master/customers", Role.ADMIN, json={"rows": [customer]}
    )
    assert report["added"] == 1, report
    contacts = [
        {"customer_code": "9", "customer_store": "1", "name": "Ana", "phone": "21 97777-1111"},
        {"customer_code": "8", "customer_store": "1", "name": "Bia"},
    ]
    status, report = await s.call(
        "PUT", "/api/erp/master/contacts", Role.ADMIN, json={"rows": contacts}
    )
    assert report["added"] == 1 and [p["line"] for p in report["refused"]] == [2]
    status, found = await s.call("GET", "/api/erp/customers?phone=+5521977771111", SUP)
    assert [c["code"] for c in found["customers"]] == ["9"]
    status, listed = await s.call("GET", "/api/erp/customers/9/1/contacts", SUP)
    assert [(c["name"], c["phone"]) for c in listed["contacts"]] == [("Ana", "+5521977771111")]

    status, body = await _upload(s, "stock", b"not a workbook", "xlsx")
    assert (status, body["error"]["code"]) == (422, "file_unreadable")
    status, body = await _upload(s, "planets", b"a\n1\n", "csv")
    assert (status, body["error"]["code"]) == (404, "kind_unknown")
    status, report = await _upload(s, "operations", b"code,description,colour\n9,x,red\n", "csv")
    assert report["refused"][0]["field"] == "colour"


async def test_site_from_its_files_takes_orders_that_all_reach_invoicing(
    empty_server: ErpServer,
) -> None:
    """From an empty database: products (one made in-house) and its bill of materials as CSV,
    customers as CSV, stock as XLSX, a legacy overdue title as CSV; the admin sets a
    parameter (MV_RISCOC 30 days). Orders taken by phone: one released at once, one short of
    stock, one of the in-house product, one held by the overdue title now that it is over 30
    days late. A stock entry, a production order completed and a payment release them all,
    and every one is invoiced to the cent."""
    s = empty_server
    products = (
        "code;description;in_house;list_price\n"
        "P1;Cafe 500g;N;12.90\n"
        "M1;Moedor;S;80.00\n"
        "C1;Motor;N;20.00\n"
    )
    bom = "product;component;quantity\nM1;C1;2\n"
    customers = (
        "code;store;name;tax_id;phone;risk;credit_limit;payment_terms\n"
        "000100;01;Padaria Sol Ltda;11.222.333/0001-81;(11) 3333-4444;C;5000.00;002\n"
    )
    stock = _xlsx([["product", "on_hand"], ["P1", 10], ["M1", 0], ["C1", 6]])
    title = "prefix;number;installment;customer_code;customer_store;issued;due;value;balance\n"
    title += "LEG;000900;A;000100;01;2026-09-01;2026-10-20;80.00;80.00\n"  # 38 days late
    for kind, data, fmt in (
        ("products", products.encode(), "csv"),
        ("bom", bom.encode(), "csv"),
        ("customers", customers.encode(), "csv"),
        ("stock", stock, "xlsx"),
    ):
        status, report = await _upload(s, kind, data, fmt)
        assert status == 200 and report["refused"] == [], (kind, report)

    status, changed = await s.call(
        "PATCH", "/api/erp/parameters", Role.ADMIN, json={"values": {"MV_RISCOC": "30"}}
    )
    assert status == 200, changed
    status, found = await s.call("GET", "/api/erp/customers?phone=11 3333-4444", SUP)
    [customer] = found["customers"]

    async def order(product: str, quantity: str) -> dict[str, Any]:
        body = {
            "customer_code": customer["code"],
            "customer_store": customer["store"],
            "lines": [{"product": product, "quantity": quantity}],
        }
        status, placed = await s.call("POST", "/api/erp/orders", SUP, json=body)
        assert status == 201, placed
        return dict(placed)

    now = await order("P1", "4")
    short = await order("P1", "9")  # 6 left
    made = await order("M1", "3")
    assert (now["status"], short["status"], made["status"]) == (
        "released",
        "partly_released",
        "blocked_stock",
    )

    status, report = await _upload(s, "receivables", title.encode(), "csv")
    assert status == 200 and report["refused"] == [], report
    late = await order("P1", "1")
    assert late["status"] == "blocked_credit", late

    entry = "document;product;quantity;entered_on\nNF-1;P1;10;2026-11-26\n"
    status, report = await _upload(s, "stock_entries", entry.encode(), "csv")
    assert status == 200 and report["reanalysed"] == [short["order"]], report
    status, run = await s.call("POST", "/api/erp/production/run", SUP)
    [po] = run["production_orders"]
    status, done = await s.call(
        "POST", f"/api/erp/production/{po['number']}/complete", SUP, json={"quantity": "3"}
    )
    assert status == 200 and done["status"] == "done", done
    status, paid = await s.call(
        "POST",
        "/api/erp/payments",
        SUP,
        json={"prefix": "LEG", "number": "000900", "installment": "A", "amount": "80.00"},
    )
    assert status == 201, paid

    totals = []
    for placed in (now, short, made, late):
        status, state = await s.call("GET", f"/api/erp/orders/{placed['order']}", SUP)
        assert state["status"] in ("released", "partly_released"), state
        status, invoice = await s.call(
            "POST", f"/api/erp/orders/{placed['order']}/invoice", Role.SUPERVISOR
        )
        assert status == 201 and invoice["order_status"] == "invoiced", invoice
        totals.append(invoice["total"])
    assert totals == ["51.60", "116.10", "240.00", "12.90"]
    status, position = await s.call("GET", "/api/erp/customers/000100/01/position", SUP)
    assert position["open_receivables"] == "420.60"  # the four invoices, the title paid

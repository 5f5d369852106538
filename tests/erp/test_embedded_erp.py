"""The embedded ERP on real SQLite and PostgreSQL: order -> release -> invoice -> receivables
and stock, checked in the database."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from erp_bridge.domain import entities as e
from erp_bridge.domain.entities import Customer
from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.field_service import TicketRequest, WorkLine
from erp_bridge.domain.orders import OrderLine, OrderRequest
from erp_bridge.embedded.adapter import EmbeddedErp
from erp_bridge.embedded.seed import add_records
from erp_bridge.embedded.tables import TABLES
from erp_bridge.port import CustomerRef, PromiseRequest, TicketUpdate, VisitInput

D = Decimal
TODAY = date(2026, 11, 27)


async def rows(erp: EmbeddedErp, cls: type, **where: object) -> list[dict[str, object]]:
    t = TABLES[cls]
    async with erp._engine.connect() as conn:
        q = sa.select(t).where(*(t.c[k] == v for k, v in where.items()))
        return [dict(r) for r in (await conn.execute(q)).mappings()]


async def test_order_release_invoice_in_the_database(erp: EmbeddedErp) -> None:
    """A 10 x 10.00 sale on 30/60/90: release rows, invoice, three titles, stock exit."""
    result = await erp.create_sales_order(
        OrderRequest("000001", "01", (OrderLine("P1", D(10)),), payment_terms="003")
    )
    assert result.status == "released"
    (stock,) = await rows(erp, e.Stock, product="P1")
    assert (stock["allocated"], stock["in_sales_orders"]) == (D(10), D(0))
    invoice = await erp.invoice(result.order)
    titles = await rows(erp, e.Receivable, number=invoice.number)
    assert sorted((t["installment"], t["balance"], t["due"]) for t in titles) == [
        ("A", D("33.33"), TODAY + timedelta(days=30)),
        ("B", D("33.33"), TODAY + timedelta(days=60)),
        ("C", D("33.34"), TODAY + timedelta(days=90)),
    ]
    (stock,) = await rows(erp, e.Stock, product="P1")
    assert (stock["on_hand"], stock["allocated"]) == (D(90), D(0))
    release_rows = await rows(erp, e.ReleaseRow, order=result.order)
    assert [(r["credit_block"], r["stock_block"], r["invoice"]) for r in release_rows] == [
        ("10", "10", invoice.number)
    ]
    (cust,) = await rows(erp, Customer, code="000001")
    assert (cust["open_receivables"], cust["released_orders"], cust["open_orders"]) == (
        D(100),
        D(0),
        D(0),
    )
    (order,) = await rows(erp, e.SalesOrder, number=result.order)
    assert order["status"] == "invoiced"
    assert await erp.audit() == []


async def test_credit_block_then_release_by_customer(erp: EmbeddedErp) -> None:
    """Over the limit: 01 kept in the balance; a release up to less than the order changes
    nothing and says so; released by customer up to an amount, stock re-evaluated (100 of 101
    in stock)."""
    held = await erp.create_sales_order(OrderRequest("000001", "01", (OrderLine("P1", D(101)),)))
    assert [(ln.credit_block, ln.stock_block) for ln in held.lines] == [("01", "02")]
    (cust,) = await rows(erp, Customer, code="000001")
    assert cust["credit_blocked_orders"] == D(1010)
    with pytest.raises(ErpError) as nothing:
        await erp.release_customer("000001", "01", up_to=D(1000))
    assert nothing.value.code == "nothing_to_release" and "over 1000.00" in nothing.value.message
    (released,) = await erp.release_customer("000001", "01", up_to=D(1010))
    assert released.status == "partly_released"
    assert [(ln.quantity, ln.stock_block) for ln in released.lines] == [(D(100), ""), (D(1), "02")]
    assert await erp.audit() == []


async def test_refusals_keep_the_database_unchanged(erp: EmbeddedErp) -> None:
    """Unknown product and blocked customer are refused with stable codes; nothing written."""
    with pytest.raises(ErpError) as err:
        await erp.create_sales_order(OrderRequest("000001", "01", (OrderLine("NOPE", D(1)),)))
    assert err.value.code == "product_unknown"
    with pytest.raises(ErpError) as err:
        await erp.create_sales_order(OrderRequest("999999", "01", (OrderLine("P1", D(1)),)))
    assert err.value.code == "customer_unknown"
    assert await rows(erp, e.SalesOrder) == []
    assert await erp.changes() == []


async def test_find_customer_by_phone_and_tax_id(erp: EmbeddedErp) -> None:
    """National phone formats and punctuated CNPJ find the same customer; bad CNPJ is refused."""
    by_phone = await erp.find_customers(phone="(11) 98765-4321")
    by_tax = await erp.find_customers(tax_id="11.222.333/0001-81")
    assert [c.code for c in by_phone] == [c.code for c in by_tax] == ["000001"]
    with pytest.raises(ErpError) as err:
        await erp.find_customers(tax_id="11.222.333/0001-80")
    assert err.value.code == "tax_id_invalid"


async def test_customer_search_reads_what_sqlalchemy_reads(erp: EmbeddedErp) -> None:
    """The customer search (run on the driver's connection on SQLite) returns the rows
    SQLAlchemy's own execution of the same statement returns, typed alike (``blocked`` a bool)."""
    from erp_bridge.embedded.adapter import _BY_PHONE, _BY_TAX_ID

    for query, key, found in (
        (_BY_PHONE, "+5511987654321", await erp.find_customers(phone="(11) 98765-4321")),
        (_BY_TAX_ID, "11222333000181", await erp.find_customers(tax_id="11.222.333/0001-81")),
    ):
        async with erp.read() as uow:
            rows = (await uow.conn.execute(query, {"key": key})).all()
        assert found and found == sorted((CustomerRef(*r) for r in rows), key=lambda c: c.code)
        assert all(type(c.blocked) is bool for c in found)


async def test_change_feed_reads_what_sqlalchemy_reads(erp: EmbeddedErp) -> None:
    """The change feed's read (run on the driver's connection on SQLite) gives the entries
    SQLAlchemy's own execution gives, each time an aware datetime, after a position and up
    to a limit."""
    from erp_bridge.embedded.adapter import as_utc, changes

    for _ in range(3):
        await erp.create_sales_order(OrderRequest("000001", "01", (OrderLine("P1", D(1)),)))
    async with erp.read() as uow:
        rows = (await uow.conn.execute(sa.select(changes).order_by(changes.c.seq))).all()
    expected = [
        (r.seq, r.kind, r.customer_code, r.customer_store, r.ref, as_utc(r.at)) for r in rows
    ]
    assert len(expected) == 3
    read = [tuple(vars(c).values()) for c in await erp.changes()]
    assert read == expected
    assert all(type(c.at) is datetime and c.at.tzinfo is not None for c in await erp.changes())
    assert [c.seq for c in await erp.changes(after=expected[0][0], limit=1)] == [expected[1][0]]


async def test_products_with_stock(erp: EmbeddedErp) -> None:
    """Available stock drops by the allocated quantity of a released order."""
    await erp.create_sales_order(OrderRequest("000001", "01", (OrderLine("P2", D(2)),)))
    (p2,) = await erp.products(["P2"])
    assert (p2.on_hand, p2.available, p2.kind) == (D(5), D(3), "manufactured")
    assert [p.code for p in await erp.products(search="filtro")] == ["P3"]


async def test_idempotent_order_is_applied_once(erp: EmbeddedErp) -> None:
    """The same key twice (even concurrently) makes one order and returns the same answer."""
    req = OrderRequest("000001", "01", (OrderLine("P1", D(2)),))
    first, second = await asyncio.gather(
        erp.create_sales_order(req, idempotency_key="call-1/outcome-1"),
        erp.create_sales_order(req, idempotency_key="call-1/outcome-1"),
    )
    assert first == second
    assert len(await rows(erp, e.SalesOrder)) == 1
    assert await erp.prune_idempotency(datetime(2026, 11, 27, tzinfo=UTC)) == 0
    assert await erp.prune_idempotency(datetime(2026, 11, 28, tzinfo=UTC)) == 1
    (stock,) = await rows(erp, e.Stock, product="P1")
    assert stock["allocated"] == D(2)


async def test_concurrent_orders_never_oversell(erp: EmbeddedErp) -> None:
    """Eight concurrent orders of 1 machine with 5 in stock: exactly 5 released."""
    req = OrderRequest("000001", "01", (OrderLine("P2", D(1)),), allow_partial=False)
    results = await asyncio.gather(*(erp.create_sales_order(req) for _ in range(8)))
    assert sorted(r.status for r in results) == ["blocked_stock"] * 3 + ["released"] * 5
    (stock,) = await rows(erp, e.Stock, product="P2")
    assert stock["allocated"] == D(5)
    assert await erp.audit() == []


async def test_promise_and_collection(erp: EmbeddedErp) -> None:
    """An invoice due today: not overdue; a promise on it is recorded; payment keeps it."""
    order = await erp.create_sales_order(
        OrderRequest("000001", "01", (OrderLine("P1", D(3)),), payment_terms="001")
    )
    inv = await erp.invoice(order.order)
    key = (inv.receivables[0].prefix, inv.receivables[0].number, "A")
    promise = await erp.register_promise(
        PromiseRequest("000001", "01", (key,), TODAY + timedelta(days=3), D(30)),
        idempotency_key="promise-1",
    )
    again = await erp.register_promise(
        PromiseRequest("000001", "01", (key,), TODAY + timedelta(days=3), D(30)),
        idempotency_key="promise-1",
    )
    assert again == promise
    await erp.receive_payment(key, D(30))
    (stored,) = await rows(erp, e.Promise)
    assert stored["status"] == "kept"
    pos = await erp.customer_position("000001", "01")
    assert (pos.open_receivables, [t.balance for t in pos.paid_titles]) == (D(0), [D(0)])
    assert await erp.audit() == []


async def test_overdue_titles_and_broken_promise(erp: EmbeddedErp) -> None:
    """A title 10 days late is listed; under a promise it leaves the list; after the date
    passes the settle run breaks the promise and it comes back flagged."""
    await add_records(
        erp._engine,
        [
            e.Receivable(
                "1",
                "000000077",
                "A",
                "000001",
                "01",
                TODAY - timedelta(days=40),
                TODAY - timedelta(days=10),
                D(50),
                D(50),
            )
        ],
    )
    (late,) = await erp.overdue_titles()
    assert (late.days_late, late.broken_promise) == (10, False)
    await erp.register_promise(
        PromiseRequest("000001", "01", (("1", "000000077", "A"),), TODAY, D(50))
    )
    assert await erp.overdue_titles() == []
    later = EmbeddedErp(erp._engine, clock=lambda: erp._clock() + timedelta(days=2))
    assert [p.status for p in await later.settle_promises()] == ["broken"]
    (back,) = await later.overdue_titles()
    assert back.broken_promise


async def test_production_run_and_service_ticket(erp: EmbeddedErp) -> None:
    """Production order for the machine shortfall; a ticket through work order and visit."""
    await erp.create_sales_order(OrderRequest("000001", "01", (OrderLine("P2", D(7)),)))
    (po,) = await erp.production_run()
    assert (po.product, po.quantity) == ("P2", D(2))
    assert await erp.production_run() == []
    ticket = await erp.open_service_ticket(
        TicketRequest("000001", "01", "P2", "SN-1", "vazando agua"), idempotency_key="t-1"
    )
    updated = await erp.update_service_ticket(
        ticket.number, TicketUpdate(work_lines=(WorkLine("service", "P3", D(1), D(90)),))
    )
    assert updated.work_order_status == "open"
    start = datetime(2026, 11, 27, 13, tzinfo=UTC)
    done = await erp.update_service_ticket(
        ticket.number,
        TicketUpdate(
            visit=VisitInput("tec", start, start + timedelta(hours=1), True),
            close_work_order=True,
            close=True,
        ),
    )
    assert (done.status, done.work_order_status) == ("closed", "closed")
    billed = await erp.update_service_ticket(ticket.number, TicketUpdate(sales_order=True))
    assert (billed.sales_order, billed.order_status) == ("000002", "released")
    with pytest.raises(ErpError) as err:
        await erp.update_service_ticket(ticket.number, TicketUpdate(sales_order=True))
    assert err.value.code == "work_order_ordered"
    kinds = [c.kind for c in await erp.changes()]
    assert kinds == [
        "sales_order",
        "production_order",
        *["service_ticket"] * 3,
        "sales_order",
        "service_ticket",
    ]
    assert await erp.audit() == []


async def test_invoice_run_takes_released_orders_only(erp: EmbeddedErp) -> None:
    """600.00 released, then 410.00 more over the 1000.00 limit is held: the run invoices
    the first only."""
    from erp_bridge.embedded.runs import consistency_check, invoice_run

    ok = await erp.create_sales_order(OrderRequest("000001", "01", (OrderLine("P1", D(60)),)))
    held = await erp.create_sales_order(OrderRequest("000001", "01", (OrderLine("P1", D(41)),)))
    assert (ok.status, held.status) == ("released", "blocked_credit")
    results = await invoice_run(erp._engine)
    assert [r.order for r in results] == [ok.order]
    assert await consistency_check(erp._engine) == []


async def test_concurrent_orders_respect_the_credit_limit(erp: EmbeddedErp) -> None:
    """Six concurrent orders of 300.00 against a 1000.00 limit: three released, three held."""
    req = OrderRequest("000001", "01", (OrderLine("P1", D(30)),))
    results = await asyncio.gather(*(erp.create_sales_order(req) for _ in range(6)))
    assert sorted(r.status for r in results) == ["blocked_credit"] * 3 + ["released"] * 3
    (cust,) = await rows(erp, Customer, code="000001")
    assert (cust["released_orders"], cust["credit_blocked_orders"]) == (D(900), D(900))
    assert await erp.audit() == []


async def test_two_adapters_on_one_engine_lose_no_update(erp: EmbeddedErp) -> None:
    """Orders through two EmbeddedErp objects on the same engine at once keep the books right."""
    other = EmbeddedErp(erp._engine, clock=erp._clock)
    req = OrderRequest("000001", "01", (OrderLine("P3", D(1)),))
    await asyncio.gather(*(x.create_sales_order(req) for x in [erp, other] * 5))
    (stock,) = await rows(erp, e.Stock, product="P3")
    assert stock["allocated"] == D(10)
    assert await erp.audit() == []

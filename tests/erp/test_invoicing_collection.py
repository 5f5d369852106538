"""Invoicing, payments, promises, production run, position and field service on the core."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from erp_bridge.domain.audit import audit
from erp_bridge.domain.books import Books
from erp_bridge.domain.collection import (
    assign_brackets,
    overdue_titles,
    pay_title,
    register_promise,
    settle_promises,
)
from erp_bridge.domain.entities import (
    OrderItem,
    ProductionComponent,
    Receivable,
    ReleaseRow,
    ServiceTicket,
    Stock,
    WorkOrder,
)
from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.field_service import (
    TicketRequest,
    WorkLine,
    close_ticket,
    close_work_order,
    make_work_order,
    open_ticket,
    record_visit,
    work_order_request,
)
from erp_bridge.domain.invoicing import installment_letter, invoice_order
from erp_bridge.domain.orders import OrderLine, OrderRequest
from erp_bridge.domain.policy import CollectionPolicy, ReleasePolicy
from erp_bridge.domain.position import customer_position
from erp_bridge.domain.production import production_run
from erp_bridge.domain.release import place_order

from .conftest import TODAY

D = Decimal
RATE = D("0.001")


def sale(books: Books, *lines: OrderLine, terms: str = "003") -> str:
    req = OrderRequest("000001", "01", lines, payment_terms=terms)
    return place_order(books, req, TODAY, ReleasePolicy()).order


def test_invoice_creates_installments_and_moves_stock(books: Books) -> None:
    """100.00 on 30/60/90 gives titles A, B, C of 33.33, 33.33, 33.34; stock leaves."""
    number = sale(books, OrderLine("P1", D(10)))
    result = invoice_order(books, number, TODAY)
    assert [(t.installment, t.value, (t.due - TODAY).days) for t in result.receivables] == [
        ("A", D("33.33"), 30),
        ("B", D("33.33"), 60),
        ("C", D("33.34"), 90),
    ]
    assert result.order_status == "invoiced"
    stock = books.must(Stock, "P1", "01", what="stock")
    assert (stock.on_hand, stock.allocated) == (D(90), D(0))
    assert [r.credit_block + r.stock_block for r in books.all(ReleaseRow)] == ["1010"]
    cust = books.customer("000001", "01")
    assert (cust.open_receivables, cust.released_orders, cust.largest_title) == (
        D(100),
        D(0),
        D("33.34"),
    )
    assert audit(books) == []


def test_invoice_twice_is_refused(books: Books) -> None:
    """A second invoice run on the same order finds nothing to invoice."""
    number = sale(books, OrderLine("P1", D(1)))
    invoice_order(books, number, TODAY)
    with pytest.raises(ErpError) as err:
        invoice_order(books, number, TODAY)
    assert err.value.code == "nothing_to_invoice"


def test_free_goods_make_no_receivable(books: Books) -> None:
    """Operation 503 moves stock but creates no title."""
    number = sale(books, OrderLine("P1", D(2), "503"))
    result = invoice_order(books, number, TODAY)
    assert result.receivables == ()
    assert result.total == D(20)
    assert books.must(Stock, "P1", "01", what="stock").on_hand == D(98)


def test_installment_letters() -> None:
    """A..Z then AA."""
    assert [installment_letter(n) for n in (0, 1, 25, 26)] == ["A", "B", "Z", "AA"]


def test_payments_promises_and_collection(books: Books) -> None:
    """Late title shows in collection; a promise hides it; broken promise brings it back
    flagged; paying it keeps a later promise."""
    number = sale(books, OrderLine("P1", D(10)), terms="001")
    title = invoice_order(books, number, TODAY - timedelta(days=20)).receivables[0]
    key = (title.prefix, title.number, title.installment)
    late = overdue_titles(books, TODAY, RATE)
    assert [(i.days_late, i.balance, i.interest) for i in late] == [(20, D(100), D("2.00"))]
    promise = register_promise(
        books, "000001", "01", [key], TODAY + timedelta(days=2), D(60), TODAY
    )
    assert overdue_titles(books, TODAY, RATE) == []
    assert settle_promises(books, TODAY + timedelta(days=3)) == [promise]
    assert promise.status == "broken"
    assert overdue_titles(books, TODAY + timedelta(days=3), RATE)[0].broken_promise
    second = register_promise(
        books, "000001", "01", [key], TODAY + timedelta(days=5), D(100), TODAY + timedelta(days=3)
    )
    pay_title(books, key, D(40), TODAY + timedelta(days=4))
    assert second.status == "open"
    pay_title(books, key, D(60), TODAY + timedelta(days=4))
    assert second.status == "kept"
    cust = books.customer("000001", "01")
    assert (cust.open_receivables, cust.average_days_late) == (D(0), D(24))
    assert audit(books) == []


@pytest.mark.parametrize(
    ("amount", "promised_in", "code"),
    [
        (D("100.01"), 1, "promise_amount_invalid"),
        (D(0), 1, "promise_amount_invalid"),
        (D(10), -1, "promise_date_past"),
        (D(10), 31, "promise_too_far"),
    ],
)
def test_bad_promises(books: Books, amount: Decimal, promised_in: int, code: str) -> None:
    """Promises over the balance, of nothing, or in the past are refused."""
    number = sale(books, OrderLine("P1", D(10)), terms="001")
    title = invoice_order(books, number, TODAY).receivables[0]
    with pytest.raises(ErpError) as err:
        register_promise(
            books,
            "000001",
            "01",
            [(title.prefix, title.number, title.installment)],
            TODAY + timedelta(days=promised_in),
            amount,
            TODAY,
            max_days=30,
        )
    assert err.value.code == code


def test_overpayment_is_refused(books: Books) -> None:
    """Paying more than the balance changes nothing."""
    number = sale(books, OrderLine("P1", D(1)), terms="001")
    t = invoice_order(books, number, TODAY).receivables[0]
    with pytest.raises(ErpError) as err:
        pay_title(books, (t.prefix, t.number, t.installment), D("10.01"), TODAY)
    assert err.value.code == "overpayment"
    assert books.customer("000001", "01").open_receivables == D(10)


def test_production_run_for_manufactured_shortfall(books: Books) -> None:
    """8 machines ordered, 5 on hand: a production order for 3 with 6 components; a second
    run makes nothing more."""
    number = sale(books, OrderLine("P2", D(8)))
    made = production_run(books, TODAY)
    assert [(p.product, p.quantity, p.order) for p in made] == [("P2", D(3), number)]
    assert [(c.component, c.quantity) for c in books.all(ProductionComponent)] == [("C1", D(6))]
    assert books.must(OrderItem, number, "01", what="order_item").production == "created"
    assert production_run(books, TODAY) == []


def test_production_run_skips_credit_held_items(books: Books) -> None:
    """A credit-held item records credit_blocked and gets no production order."""
    books.customer("000001", "01").risk = "E"
    number = sale(books, OrderLine("P2", D(8)))
    assert production_run(books, TODAY) == []
    assert books.must(OrderItem, number, "01", what="order_item").production == "credit_blocked"


def test_customer_position(books: Books) -> None:
    """Limit balance = limit - receivables - released orders; overdue amount and drill-down."""
    first = sale(books, OrderLine("P1", D(10)), terms="001")
    invoice_order(books, first, TODAY - timedelta(days=10))
    sale(books, OrderLine("P1", D(5)))
    pos = customer_position(books, "000001", "01", TODAY, RATE)
    assert (pos.open_receivables, pos.released_orders, pos.limit_balance) == (
        D(100),
        D(50),
        D(850),
    )
    assert pos.overdue_amount == D(100)
    assert [(t.days_late, t.interest) for t in pos.open_titles] == [(10, D("1.00"))]
    assert (pos.orders.count, pos.orders.total, pos.orders.released) == (2, D(150), D(50))
    assert [i.total for i in pos.invoices] == [D(100)]
    assert pos.phones == ("+5511987654321",)


def test_field_service_flow(books: Books) -> None:
    """Ticket -> work order -> closing visit -> closed; parts become a sales order."""
    ticket = open_ticket(books, TicketRequest("000001", "01", "P2", "SN123", "nao liga"), TODAY)
    with pytest.raises(ErpError) as err:
        open_ticket(books, TicketRequest("000001", "02", "P2", "SN123", "x"), TODAY)
    assert err.value.code in ("customer_unknown", "serial_of_other_customer")
    wo = make_work_order(
        books,
        ticket.number,
        [WorkLine("part", "C1", D(1), D(5)), WorkLine("service", "P3", D(1), D(80))],
        TODAY,
    )
    with pytest.raises(ErpError):
        close_ticket(books, ticket.number, TODAY)
    start = datetime(2026, 11, 27, 9)
    record_visit(books, wo.number, "tec1", start, start + timedelta(hours=2), closed=True)
    close_work_order(books, wo.number)
    assert close_ticket(books, ticket.number, TODAY).status == "closed"
    assert books.must(WorkOrder, wo.number, what="work_order").status == "closed"
    req = work_order_request(books, wo.number)
    assert [ln.product for ln in req.lines] == ["C1", "P3"]
    assert books.must(ServiceTicket, ticket.number, what="ticket").work_order == wo.number


def test_collection_brackets(books: Books) -> None:
    """Titles 5, 20 and 90 days late go to the light, normal and legal groups."""
    for days in (5, 20, 90):
        due = TODAY - timedelta(days=days)
        books.add(Receivable("1", f"T{days}", "A", "000001", "01", due, due, D(10), D(10)))
    work = assign_brackets(overdue_titles(books, TODAY, RATE), CollectionPolicy().brackets)
    assert {group: [i.number for i in items] for group, items in work.items()} == {
        "cobranca-leve": ["T5"],
        "cobranca": ["T20"],
        "cobranca-juridico": ["T90"],
    }

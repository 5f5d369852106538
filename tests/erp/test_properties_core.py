"""Property: whatever the sequence of orders, releases, invoices and payments, the books stay
consistent (stock never below zero, balances equal documents, nothing invoiced twice)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erp_bridge.domain.audit import audit
from erp_bridge.domain.books import Books
from erp_bridge.domain.collection import pay_title
from erp_bridge.domain.entities import Customer, Receivable, SalesOrder, Stock
from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.invoicing import invoice_order
from erp_bridge.domain.orders import OrderRequest
from erp_bridge.domain.policy import CreditPolicy, ReleasePolicy
from erp_bridge.domain.release import (
    hold_stock,
    place_order,
    reject_order,
    release_credit,
    release_stock,
    reverse_release,
)

from .conftest import TODAY, small_world
from .scenarios import Step, steps

POLICY = ReleasePolicy(CreditPolicy(scope="all"))
# what a step may be refused with: nothing to do, or stock still short
REFUSALS = (
    "nothing_to_invoice",
    "nothing_to_reverse",
    "nothing_to_hold",
    "nothing_to_release",
    "nothing_to_reject",
    "stock_short",
)


def apply(books: Books, step: Step, day: int) -> None:
    """Run one step on the core; business refusals are expected and change nothing."""
    today = TODAY + timedelta(days=day)
    orders = sorted(o.number for o in books.all(SalesOrder))
    try:
        if step.kind == "order":
            place_order(books, OrderRequest("000001", step.store, step.lines), today, POLICY)
        elif step.kind == "customer":
            books.must(Customer, "000001", step.store, what="customer").credit_limit = step.amount
        elif step.kind == "receive":
            books.must(Stock, ("P1", "P2", "P3")[step.pick % 3], "01", what="stock").on_hand += 3
        elif step.kind == "pay":
            titles = [t for t in books.all(Receivable) if t.status == "open"]
            if titles:
                t = titles[step.pick % len(titles)]
                pay_title(
                    books, (t.prefix, t.number, t.installment), min(step.amount, t.balance), today
                )
        elif orders:
            number = orders[step.pick % len(orders)]
            action = {
                "credit": lambda: release_credit(books, number, today),
                "stock": lambda: release_stock(books, number, today),
                "reject": lambda: reject_order(books, number, today),
                "invoice": lambda: invoice_order(books, number, today),
                "reverse": lambda: reverse_release(books, number, today),
                "hold": lambda: hold_stock(books, number, today),
            }[step.kind]
            action()
    except ErpError as err:
        assert err.code in REFUSALS, err


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(steps, min_size=1, max_size=25))
def test_books_stay_consistent(sequence: list[Step]) -> None:
    """After every step the audit finds no discrepancy."""
    books = small_world()
    books.add(
        Customer("000001", "02", "Filial", "11222333000262", risk="B", credit_limit=Decimal(500))
    )
    for day, step in enumerate(sequence):
        apply(books, step, day)
        assert audit(books) == [], step

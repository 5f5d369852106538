"""Consistency of the books: kept balances equal their documents, stock never negative, no
row invoiced twice. Used by tests and by a supervisor's consistency check."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from erp_bridge.domain.books import Books
from erp_bridge.domain.entities import (
    CREDIT,
    INVOICED,
    LIMIT_EXPIRED,
    REJECTED,
    REVERSED,
    Customer,
    InvoiceItem,
    OperationType,
    OrderItem,
    Receivable,
    ReleaseRow,
    SalesOrder,
    Stock,
)
from erp_bridge.domain.money import ZERO


def _money() -> defaultdict[tuple[str, str], Decimal]:
    return defaultdict(lambda: ZERO)


def audit(books: Books) -> list[str]:
    """Every discrepancy found, as readable lines (empty when the books are consistent)."""
    problems: list[str] = []
    ops = {o.code: o for o in books.all(OperationType)}
    orders = {o.number: o for o in books.all(SalesOrder)}
    receivables, released, open_orders, held = _money(), _money(), _money(), _money()
    for t in books.all(Receivable):
        if t.balance < 0 or (t.status == "open") != (t.balance > 0):
            problems.append(f"title {t.ref}: balance {t.balance} with status {t.status}")
        if t.status == "open":
            receivables[t.customer_code, t.customer_store] += t.balance
    in_orders: defaultdict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    allocated: defaultdict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    invoiced_qty: defaultdict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for ii in books.all(InvoiceItem):
        invoiced_qty[ii.order, ii.item] += ii.quantity
    for item in books.all(OrderItem):
        op = ops[item.operation]
        owner = orders[item.order]
        cust = (owner.customer_code, owner.customer_store)
        rows = books.where(ReleaseRow, order=item.order, item=item.item)
        rowed = sum((r.quantity for r in rows if r.credit_block != REVERSED), ZERO)
        if rowed > item.quantity:
            problems.append(f"item {item.order}/{item.item}: rows {rowed} over {item.quantity}")
        if invoiced_qty[item.order, item.item] != item.invoiced_qty:
            problems.append(f"item {item.order}/{item.item}: invoiced qty differs from invoices")
        if item.invoiced_qty + item.released_qty + item.rejected_qty > item.quantity:
            problems.append(f"item {item.order}/{item.item}: more than ordered moved")
        pending = item.quantity - item.invoiced_qty - item.released_qty - item.rejected_qty
        if op.moves_stock:
            in_orders[item.product, item.warehouse] += pending
            allocated[item.product, item.warehouse] += item.released_qty
        if not op.creates_receivable:
            continue
        gone = ZERO
        for r in rows:
            if r.released:
                released[cust] += r.value
                gone += r.value
            elif r.credit_block in (INVOICED, REJECTED):
                gone += r.value
            elif r.credit_block in (CREDIT, LIMIT_EXPIRED):
                held[cust] += r.value
        open_orders[cust] += item.value - gone
    for c in books.all(Customer):
        key = (c.code, c.store)
        for name, kept, docs in (
            ("open receivables", c.open_receivables, receivables[key]),
            ("released orders", c.released_orders, released[key]),
            ("open orders", c.open_orders, open_orders[key]),
            ("credit-blocked orders", c.credit_blocked_orders, held[key]),
        ):
            if kept != docs:
                problems.append(f"customer {c.code}/{c.store}: {name} {kept} != documents {docs}")
    for s in books.all(Stock):
        if min(s.on_hand, s.allocated, s.reserved, s.on_hand - s.reserved - s.allocated) < 0:
            problems.append(f"stock {s.product}/{s.warehouse} negative: {s}")
        if s.in_sales_orders != in_orders[s.product, s.warehouse]:
            problems.append(
                f"stock {s.product}/{s.warehouse}: in sales orders {s.in_sales_orders} "
                f"!= items {in_orders[s.product, s.warehouse]}"
            )
        if s.allocated != allocated[s.product, s.warehouse]:
            problems.append(
                f"stock {s.product}/{s.warehouse}: allocated {s.allocated} "
                f"!= released items {allocated[s.product, s.warehouse]}"
            )
    invoiced_rows = [r for r in books.all(ReleaseRow) if r.invoice]
    if len(invoiced_rows) != len(books.all(InvoiceItem)):
        problems.append("invoiced release rows and invoice items differ in number")
    return problems

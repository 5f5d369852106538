"""Invoicing released rows: the output document, receivables per installment, stock exit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from erp_bridge.domain.books import Books
from erp_bridge.domain.entities import (
    INVOICED,
    Invoice,
    InvoiceItem,
    OperationType,
    OrderItem,
    PaymentTerms,
    Receivable,
    ReleaseRow,
    SalesOrder,
    Stock,
)
from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.money import ZERO, split
from erp_bridge.domain.orders import refresh_status


@dataclass(frozen=True)
class InvoiceResult:
    """The invoice made and the receivables it created."""

    series: str
    number: str
    order: str
    total: Decimal
    receivables: tuple[Receivable, ...]
    order_status: str


def installment_letter(n: int) -> str:
    """A, B, ... Z, then AA... (E1_PARCELA)."""
    letters = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def invoice_order(books: Books, number: str, today: date, series: str = "1") -> InvoiceResult:
    """Invoice every row of the order with both blocks blank."""
    order = books.must(SalesOrder, number, what="order")
    customer = books.customer(order.customer_code, order.customer_store)
    rows = sorted(
        (r for r in books.where(ReleaseRow, order=number) if r.released and not r.invoice),
        key=lambda r: (r.item, r.sequence),
    )
    if not rows:
        raise ErpError("nothing_to_invoice", f"order {number} has no released rows")
    terms = books.must(PaymentTerms, order.payment_terms, what="payment_terms")
    doc = books.next_number("invoice", 9)
    total = ZERO
    receivable_total = ZERO
    for row in rows:
        item = books.must(OrderItem, row.order, row.item, what="order_item")
        op = books.must(OperationType, item.operation, what="operation")
        if books.get(InvoiceItem, row.id) is not None:
            raise ErpError("already_invoiced", f"release row {row.id} was invoiced")
        books.add(
            InvoiceItem(
                release_id=row.id,
                series=series,
                number=doc,
                order=number,
                item=row.item,
                product=row.product,
                warehouse=item.warehouse,
                quantity=row.quantity,
                value=row.value,
            )
        )
        row.credit_block = row.stock_block = INVOICED
        row.invoice = doc
        item.released_qty -= row.quantity
        item.invoiced_qty += row.quantity
        total += row.value
        if op.moves_stock:
            stock = books.must(Stock, item.product, item.warehouse, what="stock")
            stock.on_hand -= row.quantity
            stock.allocated -= row.quantity
        if op.creates_receivable:
            customer.released_orders -= row.value
            receivable_total += row.value
    books.add(Invoice(series, doc, customer.code, customer.store, number, today, total))
    titles: list[Receivable] = []
    if receivable_total > 0:
        days = terms.installment_days()
        for n, (offset, value) in enumerate(
            zip(days, split(receivable_total, len(days)), strict=True)
        ):
            titles.append(
                books.add(
                    Receivable(
                        prefix=series,
                        number=doc,
                        installment=installment_letter(n),
                        customer_code=customer.code,
                        customer_store=customer.store,
                        issued=today,
                        due=today + timedelta(days=offset),
                        value=value,
                        balance=value,
                        order=number,
                    )
                )
            )
        customer.open_receivables += receivable_total
        customer.largest_title = max([customer.largest_title, *(t.value for t in titles)])
    customer.largest_purchase = max(customer.largest_purchase, total)
    customer.first_purchase = customer.first_purchase or today
    customer.last_purchase = today
    status = refresh_status(books, order)
    return InvoiceResult(series, doc, number, total, tuple(titles), status)

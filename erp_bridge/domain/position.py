"""The customer position: the credit analyst's screen and a good screen-pop."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from erp_bridge.domain.books import Books
from erp_bridge.domain.collection import interest
from erp_bridge.domain.entities import Invoice, OrderItem, Receivable, SalesOrder
from erp_bridge.domain.money import ZERO
from erp_bridge.domain.orders import line_value


@dataclass(frozen=True)
class TitleLine:
    """An open or paid title in the drill-down."""

    prefix: str
    number: str
    installment: str
    issued: date
    due: date
    value: Decimal
    balance: Decimal
    days_late: int
    interest: Decimal


@dataclass(frozen=True)
class OrdersSummary:
    """Orders of the customer: how many, their total, released value and open balance."""

    count: int
    total: Decimal
    released: Decimal
    balance: Decimal


@dataclass(frozen=True)
class InvoiceLine:
    """An invoice of the customer."""

    series: str
    number: str
    order: str
    issued: date
    total: Decimal


@dataclass(frozen=True)
class CustomerPosition:
    """Registration, credit and history of a customer store, with drill-downs."""

    code: str
    store: str
    name: str
    tax_id: str
    phones: tuple[str, ...]
    seller: str
    risk: str
    size_class: str
    blocked: bool
    credit_limit: Decimal
    credit_limit_expiry: date | None
    secondary_limit: Decimal
    limit_currency: int
    open_receivables: Decimal
    open_orders: Decimal
    released_orders: Decimal
    credit_blocked_orders: Decimal
    limit_balance: Decimal
    largest_purchase: Decimal
    largest_title: Decimal
    average_days_late: Decimal
    largest_delay: int
    protested_titles: int
    returned_cheques: int
    first_purchase: date | None
    last_purchase: date | None
    overdue_amount: Decimal
    open_titles: tuple[TitleLine, ...]
    paid_titles: tuple[TitleLine, ...]
    orders: OrdersSummary
    invoices: tuple[InvoiceLine, ...]


def customer_position(
    books: Books, code: str, store: str, today: date, daily_rate: Decimal
) -> CustomerPosition:
    """The position of one customer store as of ``today``."""
    c = books.customer(code, store)
    titles = sorted(
        books.where(Receivable, customer_code=code, customer_store=store),
        key=lambda t: (t.due, t.number, t.installment),
    )

    def line(t: Receivable) -> TitleLine:
        late = max((today - t.due).days, 0) if t.status == "open" else 0
        return TitleLine(
            t.prefix,
            t.number,
            t.installment,
            t.issued,
            t.due,
            t.value,
            t.balance,
            late,
            interest(t.balance, late, daily_rate),
        )

    open_titles = tuple(line(t) for t in titles if t.status == "open")
    orders = books.where(SalesOrder, customer_code=code, customer_store=store)
    items = [i for o in orders for i in books.where(OrderItem, order=o.number)]
    released = sum((line_value(i, i.released_qty) for i in items), ZERO)
    pending = sum(
        (line_value(i, i.quantity - i.invoiced_qty - i.rejected_qty) for i in items), ZERO
    )
    return CustomerPosition(
        code=c.code,
        store=c.store,
        name=c.name,
        tax_id=c.tax_id,
        phones=tuple(p for p in (c.phone, c.phone2) if p),
        seller=c.seller,
        risk=c.risk,
        size_class=c.size_class,
        blocked=c.blocked,
        credit_limit=c.credit_limit,
        credit_limit_expiry=c.credit_limit_expiry,
        secondary_limit=c.secondary_limit,
        limit_currency=c.limit_currency,
        open_receivables=c.open_receivables,
        open_orders=c.open_orders,
        released_orders=c.released_orders,
        credit_blocked_orders=c.credit_blocked_orders,
        limit_balance=c.credit_limit - c.open_receivables - c.released_orders,
        largest_purchase=c.largest_purchase,
        largest_title=c.largest_title,
        average_days_late=c.average_days_late,
        largest_delay=c.largest_delay,
        protested_titles=c.protested_titles,
        returned_cheques=c.returned_cheques,
        first_purchase=c.first_purchase,
        last_purchase=c.last_purchase,
        overdue_amount=sum((t.balance for t in open_titles if t.days_late > 0), ZERO),
        open_titles=open_titles,
        paid_titles=tuple(line(t) for t in titles if t.status == "paid"),
        orders=OrdersSummary(len(orders), sum((i.value for i in items), ZERO), released, pending),
        invoices=tuple(
            InvoiceLine(i.series, i.number, i.order, i.issued, i.total)
            for i in sorted(
                books.where(Invoice, customer_code=code, customer_store=store),
                key=lambda i: i.number,
            )
        ),
    )

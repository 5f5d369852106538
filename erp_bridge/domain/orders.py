"""Sales order requests, results and the status shown to users."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from erp_bridge.domain.books import Books
from erp_bridge.domain.entities import (
    CREDIT,
    LIMIT_EXPIRED,
    NO_STOCK,
    STOCK_BY_HAND,
    OrderItem,
    ReleaseRow,
    SalesOrder,
)
from erp_bridge.domain.money import cents

# readers of requests (the API, the outbox) refuse fields the ERP does not know
FORBID_UNKNOWN = {"extra": "forbid"}


@dataclass(frozen=True)
class OrderLine:
    """One requested item; ``unit_price`` None takes the price table's price (and its
    discount) or else the product's list price. A discount is money off the line
    (``discount``, cents) or a percentage (``discount_percent``), not both."""

    __pydantic_config__ = FORBID_UNKNOWN

    product: str
    quantity: Decimal
    operation: str = "501"
    unit_price: Decimal | None = None
    warehouse: str | None = None  # None: the product's own warehouse (B1_LOCPAD)
    delivery_date: date | None = None
    discount: Decimal | None = None
    discount_percent: Decimal | None = None


@dataclass(frozen=True)
class OrderRequest:
    """A sales order as televendas (or a work order) asks for it."""

    __pydantic_config__ = FORBID_UNKNOWN

    customer_code: str
    customer_store: str
    lines: tuple[OrderLine, ...]
    payment_terms: str | None = None
    release_mode: str = "item"
    allow_partial: bool = True
    origin: str = "televendas"
    seller: str = ""
    price_table: str | None = None  # None: the customer's table (A1_TABELA), if any


@dataclass(frozen=True)
class ReleaseLine:
    """One release row as the agent sees it."""

    item: str
    product: str
    quantity: Decimal
    value: Decimal
    credit_block: str
    stock_block: str


@dataclass(frozen=True)
class ReleaseResult:
    """The order after a release attempt: status, why credit decided (blank when credit did
    not hold the order back but stock did), why stock held it, and its rows."""

    order: str
    status: str
    credit_reason: str
    lines: tuple[ReleaseLine, ...]
    stock_reason: str = ""

    @property
    def released_value(self) -> Decimal:
        """Value of the rows ready to invoice."""
        return sum(
            (ln.value for ln in self.lines if ln.credit_block == "" and ln.stock_block == ""),
            Decimal(0),
        )


def order_status(items: list[OrderItem], rows: list[ReleaseRow]) -> str:
    """open, released, partly_released, blocked_credit, blocked_stock, invoiced or rejected."""
    if all(i.invoiced_qty + i.rejected_qty >= i.quantity for i in items):
        return "invoiced" if any(i.invoiced_qty > 0 for i in items) else "rejected"
    waiting = [r for r in rows if r.waiting]
    if any(r.credit_block in (CREDIT, LIMIT_EXPIRED) for r in waiting):
        return "blocked_credit"
    moved = any(i.released_qty + i.invoiced_qty > 0 for i in items)
    if moved:
        done = all(i.released_qty + i.invoiced_qty + i.rejected_qty >= i.quantity for i in items)
        return "released" if done else "partly_released"
    if any(r.stock_block in (NO_STOCK, STOCK_BY_HAND) for r in waiting):
        return "blocked_stock"
    return "open"


def refresh_status(books: Books, order: SalesOrder) -> str:
    """Recompute and store the order's status."""
    order.status = order_status(
        books.where(OrderItem, order=order.number), books.where(ReleaseRow, order=order.number)
    )
    return order.status


def release_result(
    books: Books, order: SalesOrder, credit_reason: str = "", stock_reason: str = ""
) -> ReleaseResult:
    """The agent-facing view of an order's release state."""
    rows = sorted(books.where(ReleaseRow, order=order.number), key=lambda r: (r.item, r.sequence))
    return ReleaseResult(
        order=order.number,
        status=refresh_status(books, order),
        credit_reason=credit_reason,
        lines=tuple(
            ReleaseLine(r.item, r.product, r.quantity, r.value, r.credit_block, r.stock_block)
            for r in rows
        ),
        stock_reason=stock_reason,
    )


def line_value(item: OrderItem, quantity: Decimal) -> Decimal:
    """The value of ``quantity`` of the item in cents: its share of the discount taken off."""
    if quantity >= item.quantity:
        return item.value
    gross = cents(quantity * item.unit_price)
    return gross - cents(item.discount * quantity / item.quantity)

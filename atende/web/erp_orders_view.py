"""Read-only views of the embedded ERP's orders for the credit analyst's screens: the
credit-blocked orders (all, or of one customer) and one order's release rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from erp_bridge.domain import entities as e
from erp_bridge.domain.errors import ErpError, not_found
from erp_bridge.domain.orders import ReleaseLine
from erp_bridge.embedded.adapter import EmbeddedErp
from erp_bridge.embedded.tables import TABLES

# the block codes that mean "waiting for the credit analyst"
CREDIT_HELD = (e.CREDIT, e.LIMIT_EXPIRED)


@dataclass(frozen=True)
class OrderView:
    """An order as the credit analyst sees it: who, when, status, blocked value and rows."""

    order: str
    customer_code: str
    customer_store: str
    customer_name: str
    risk: str
    issued: date
    status: str
    total: Decimal
    credit_blocked_value: Decimal
    lines: tuple[ReleaseLine, ...]


def _embedded(embedded: EmbeddedErp | None) -> EmbeddedErp:
    if embedded is None:
        raise ErpError("not_supported", "order lists need the embedded ERP")
    return embedded


async def blocked_orders(
    embedded: EmbeddedErp | None,
    *,
    customer_code: str | None = None,
    customer_store: str | None = None,
    limit: int = 200,
) -> list[OrderView]:
    """Credit-blocked orders, oldest first (of one customer store when given)."""
    o = TABLES[e.SalesOrder].c
    where = [o.status == "blocked_credit"]
    if customer_code:
        where.append(o.customer_code == customer_code)
    if customer_store:
        where.append(o.customer_store == customer_store)
    return await _views(_embedded(embedded), where, limit)


async def order_view(embedded: EmbeddedErp | None, number: str) -> OrderView:
    """One order's release state (``order_unknown`` when there is none)."""
    o = TABLES[e.SalesOrder].c
    found = await _views(_embedded(embedded), [o.number == number], 1)
    if not found:
        raise not_found("order", number)
    return found[0]


async def _views(erp: EmbeddedErp, where: Sequence[Any], limit: int) -> list[OrderView]:
    async with erp.read() as uow:
        orders = await uow.load(e.SalesOrder, *where)
        orders = sorted(orders, key=lambda x: (x.issued, x.number))[:limit]
        numbers = [x.number for x in orders]
        await uow.load(e.OrderItem, TABLES[e.OrderItem].c.order.in_(numbers))
        await uow.load(e.ReleaseRow, TABLES[e.ReleaseRow].c.order.in_(numbers))
        c = TABLES[e.Customer].c
        await uow.load(e.Customer, c.code.in_({x.customer_code for x in orders}))
        books = uow.books
    views = []
    for order in orders:
        customer = books.get(e.Customer, order.customer_code, order.customer_store)
        rows = sorted(
            books.where(e.ReleaseRow, order=order.number), key=lambda r: (r.item, r.sequence)
        )
        items = books.where(e.OrderItem, order=order.number)
        views.append(
            OrderView(
                order=order.number,
                customer_code=order.customer_code,
                customer_store=order.customer_store,
                customer_name=customer.name if customer else "",
                risk=customer.risk if customer else "",
                issued=order.issued,
                status=order.status,
                total=sum((i.value for i in items), Decimal(0)),
                credit_blocked_value=sum(
                    (r.value for r in rows if r.waiting and r.credit_block in CREDIT_HELD),
                    Decimal(0),
                ),
                lines=tuple(
                    ReleaseLine(
                        r.item, r.product, r.quantity, r.value, r.credit_block, r.stock_block
                    )
                    for r in rows
                ),
            )
        )
    return views

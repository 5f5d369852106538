"""The "from sales orders" production run: production orders for manufactured items short of
stock, with the bill of materials exploded."""

from __future__ import annotations

from datetime import date

from erp_bridge.domain.books import Books
from erp_bridge.domain.entities import (
    CREDIT,
    LIMIT_EXPIRED,
    RELEASED,
    BomLine,
    OrderItem,
    Product,
    ProductionComponent,
    ProductionOrder,
    ReleaseRow,
    Stock,
)


def production_run(books: Books, today: date) -> list[ProductionOrder]:
    """For each item not yet looked at: ``credit_blocked`` while its credit is held; else, for
    a manufactured product, a production order for quantity - (on hand + incoming - allocated)
    when that is positive (``created``), otherwise ``not_needed``."""
    made: list[ProductionOrder] = []
    items = sorted(books.all(OrderItem), key=lambda i: (i.order, i.item))
    for item in items:
        if item.production in ("created", "not_needed"):
            continue
        product = books.get(Product, item.product)
        if product is None or product.kind != "manufactured":
            continue
        rows = [r for r in books.where(ReleaseRow, order=item.order, item=item.item) if r.waiting]
        if any(r.credit_block in (CREDIT, LIMIT_EXPIRED) for r in rows):
            item.production = "credit_blocked"
            continue
        waiting = [r for r in rows if r.credit_block == RELEASED]
        if not waiting:
            continue
        stock = books.must(Stock, item.product, item.warehouse, what="stock")
        need = sum(r.quantity for r in waiting)
        short = need - (stock.on_hand + stock.incoming - stock.allocated)
        if short <= 0:
            item.production = "not_needed"
            continue
        order = books.add(
            ProductionOrder(
                number=books.next_number("production"),
                product=item.product,
                warehouse=item.warehouse,
                quantity=short,
                order=item.order,
                item=item.item,
                created_on=today,
            )
        )
        for line in books.where(BomLine, product=item.product):
            books.add(ProductionComponent(order.number, line.component, line.quantity * short))
        stock.incoming += short
        item.production = "created"
        made.append(order)
    return made

"""The "from sales orders" production run: production orders for manufactured items short of
stock, with the bill of materials exploded."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

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
from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.money import QTY_STEP, ZERO, qty


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
            need = line.quantity * short
            parts = books.get(Stock, line.component, item.warehouse)
            hold = min(need, max(parts.available(), ZERO)) if parts else ZERO
            if parts is not None:
                parts.reserved += hold  # the components' reservation (empenho)
            books.add(ProductionComponent(order.number, line.component, need, reserved=hold))
        stock.incoming += short
        item.production = "created"
        made.append(order)
    return made


def complete_production(
    books: Books, number: str, quantity: Decimal, today: date
) -> ProductionOrder:
    """Report ``quantity`` made on a production order (all or part of what is left): its
    components leave stock (their reservation first), the product enters stock (no longer
    incoming). ``quantity_invalid``, ``production_done``, ``component_short``."""
    po = books.must(ProductionOrder, number, what="production_order")
    left = po.quantity - po.completed
    if po.status == "done" or left <= 0:
        raise ErpError("production_done", f"production order {number} is complete")
    if (
        not quantity.is_finite()
        or quantity <= 0
        or quantity > left
        or (quantity != quantity.quantize(QTY_STEP))
    ):
        raise ErpError(
            "quantity_invalid", f"report more than 0 and at most {qty(left)} (4 decimals)"
        )
    uses = []
    for comp in books.where(ProductionComponent, production_order=number):
        need = (comp.quantity * quantity / po.quantity).quantize(QTY_STEP)
        if quantity == left:
            need = comp.quantity - comp.consumed  # the last report takes what is left
        stock = books.must(Stock, comp.component, po.warehouse, what="stock")
        from_reservation = min(comp.reserved, need)
        free = stock.available()
        if need - from_reservation > free or stock.on_hand < need:
            raise ErpError(
                "component_short",
                f"component {comp.component}: {qty(need)} needed, "
                f"{qty(from_reservation + max(free, ZERO))} at hand",
            )
        uses.append((comp, stock, need, from_reservation))
    for comp, stock, need, from_reservation in uses:
        comp.reserved -= from_reservation
        comp.consumed += need
        stock.reserved -= from_reservation
        stock.on_hand -= need
    made = books.must(Stock, po.product, po.warehouse, what="stock")
    made.on_hand += quantity
    made.incoming = max(made.incoming - quantity, ZERO)
    po.completed += quantity
    po.status = "done" if po.completed >= po.quantity else "partly_done"
    return po

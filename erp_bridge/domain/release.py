"""Order entry and releasing: credit then stock, by order and by customer, and rejecting."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from erp_bridge.domain.books import Books
from erp_bridge.domain.credit import evaluate_credit
from erp_bridge.domain.entities import (
    CREDIT,
    LIMIT_EXPIRED,
    NO_STOCK,
    REJECTED,
    RELEASED,
    REVERSED,
    STOCK_BY_HAND,
    Customer,
    OperationType,
    OrderItem,
    PaymentTerms,
    PriceTable,
    PriceTableItem,
    Product,
    Receivable,
    ReleaseRow,
    SalesOrder,
    Stock,
)
from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.money import (
    MAX_AMOUNT,
    MAX_QUANTITY,
    QTY_STEP,
    ZERO,
    cents,
    money,
    qty,
)
from erp_bridge.domain.orders import (
    OrderLine,
    OrderRequest,
    ReleaseResult,
    line_value,
    refresh_status,
    release_result,
)
from erp_bridge.domain.policy import ReleasePolicy

CREDIT_HOLDS = (CREDIT, LIMIT_EXPIRED)
MAX_ITEMS = 99  # C6_ITEM has two digits


@dataclass(frozen=True)
class Priced:
    """A requested line priced: unit price, discount and value in cents."""

    unit_price: Decimal
    discount: Decimal
    discount_percent: Decimal
    value: Decimal


def price_line(
    n: int, line: OrderLine, list_price: Decimal, today: date, table_discount: Decimal = ZERO
) -> Priced:
    """Check one requested line and price it (``quantity_invalid``, ``price_invalid``,
    ``discount_invalid``, ``delivery_date_invalid``, ``amount_too_large``). A line priced
    from a table takes the table's discount unless it brings its own."""
    q = line.quantity
    if not q.is_finite() or q <= 0 or q > MAX_QUANTITY or q != q.quantize(QTY_STEP):
        raise ErpError(
            "quantity_invalid",
            f"item {n}: quantity must be more than 0, at most {qty(MAX_QUANTITY)}, "
            "with at most 4 decimals",
        )
    price = list_price if line.unit_price is None else line.unit_price
    if line.unit_price is None and price <= 0:
        raise ErpError("price_invalid", f"item {n}: the product has no price; give a unit price")
    if not price.is_finite() or price <= 0 or price > MAX_AMOUNT or price != cents(price):
        raise ErpError(
            "price_invalid",
            f"item {n}: unit price must be more than 0.00, at most {money(MAX_AMOUNT)}, in cents",
        )
    if line.delivery_date is not None and line.delivery_date < today:
        raise ErpError(
            "delivery_date_invalid",
            f"item {n}: delivery date {line.delivery_date} is before today ({today})",
        )
    gross = q * price
    if gross > MAX_AMOUNT:
        raise ErpError(
            "amount_too_large", f"item {n}: quantity x price is over {money(MAX_AMOUNT)}"
        )
    gross = cents(gross)
    discount, percent = ZERO, ZERO
    if line.discount is not None and line.discount_percent is not None:
        raise ErpError("discount_invalid", f"item {n}: give discount or discount_percent")
    if line.unit_price is None and line.discount is None and line.discount_percent is None:
        line = replace(line, discount_percent=table_discount or None)
    if line.discount is not None:
        discount = line.discount
        if not discount.is_finite() or discount < 0 or discount != cents(discount):
            raise ErpError("discount_invalid", f"item {n}: discount is money in cents, 0 or more")
    if line.discount_percent is not None:
        percent = line.discount_percent
        if not percent.is_finite() or not 0 <= percent < 100 or percent != cents(percent):
            raise ErpError(
                "discount_invalid", f"item {n}: discount_percent is 0 to 99.99 (2 decimals)"
            )
        discount = cents(gross * percent / 100)
    if discount >= gross:
        raise ErpError(
            "discount_invalid",
            f"item {n}: discount {money(discount)} leaves nothing of {money(gross)}",
        )
    return Priced(price, discount, percent, gross - discount)


def _fits(what: str, *amounts: Decimal) -> None:
    if sum(amounts, ZERO) > MAX_AMOUNT:
        raise ErpError("amount_too_large", f"{what} would pass {money(MAX_AMOUNT)}")


def _product(books: Books, code: str) -> Product:
    return books.must(Product, code, what="product")


def _price_table(
    books: Books, req: OrderRequest, customer: Customer, today: date
) -> PriceTable | None:
    """The order's price table: the one named (it must be valid today), else the customer's
    while valid (else list prices)."""
    if req.price_table:
        table = books.must(PriceTable, req.price_table, what="price_table")
        if not table.valid_on(today):
            raise ErpError(
                "price_table_not_valid",
                f"price table {table.code} is valid {table.valid_from} to "
                f"{table.valid_to or 'no end'}",
            )
        return table
    own = books.get(PriceTable, customer.price_table) if customer.price_table else None
    return own if own is not None and own.valid_on(today) else None


def place_order(
    books: Books, req: OrderRequest, today: date, policy: ReleasePolicy
) -> ReleaseResult:
    """Enter a sales order (validated first, nothing written on error) and, when the policy
    says so, run the automatic release."""
    customer = books.customer(req.customer_code, req.customer_store)
    if customer.blocked:
        raise ErpError("customer_blocked", f"customer {customer.code}/{customer.store} is blocked")
    if not req.lines:
        raise ErpError("order_empty", "an order needs at least one item")
    if len(req.lines) > MAX_ITEMS:
        raise ErpError("order_too_long", f"an order has at most {MAX_ITEMS} items")
    if req.release_mode not in ("item", "whole"):
        raise ErpError("release_mode_invalid", "release mode is 'item' or 'whole'")
    terms = req.payment_terms or customer.payment_terms
    books.must(PaymentTerms, terms, what="payment_terms")
    table = _price_table(books, req, customer, today)
    priced: list[Priced] = []
    receivable = ZERO
    lines = [
        replace(
            ln, warehouse=ln.warehouse or books.must(Product, ln.product, what="product").warehouse
        )
        for ln in req.lines
    ]
    for n, line in enumerate(lines, 1):
        product = books.must(Product, line.product, what="product")
        op = books.must(OperationType, line.operation, what="operation")
        entry = books.get(PriceTableItem, table.code, product.code) if table else None
        if entry is None:
            priced.append(price_line(n, line, product.list_price, today))
        else:
            priced.append(price_line(n, line, entry.price, today, entry.discount_percent))
        if op.moves_stock:
            stock = books.must(Stock, line.product, str(line.warehouse), what="stock")
            _fits(f"item {n}: stock in sales orders", stock.in_sales_orders, line.quantity)
        if op.creates_receivable:
            receivable += priced[-1].value
    _fits(
        "the customer's orders",
        customer.open_orders,
        customer.released_orders,
        customer.credit_blocked_orders,
        receivable,
    )
    order = books.add(
        SalesOrder(
            number=books.next_number("order"),
            customer_code=customer.code,
            customer_store=customer.store,
            issued=today,
            payment_terms=terms,
            release_mode=req.release_mode,
            allow_partial=req.allow_partial and req.release_mode == "item",
            origin=req.origin,
            seller=req.seller or customer.seller,
            price_table=table.code if table else "",
        )
    )
    for n, (line, price) in enumerate(zip(lines, priced, strict=True), 1):
        op = books.must(OperationType, line.operation, what="operation")
        item = books.add(
            OrderItem(
                order=order.number,
                item=f"{n:02d}",
                product=line.product,
                quantity=line.quantity,
                unit_price=price.unit_price,
                value=price.value,
                operation=line.operation,
                warehouse=str(line.warehouse),
                delivery_date=line.delivery_date or today,
                discount=price.discount,
                discount_percent=price.discount_percent,
            )
        )
        if op.moves_stock:
            books.must(
                Stock, item.product, item.warehouse, what="stock"
            ).in_sales_orders += item.quantity
        if op.creates_receivable:
            customer.open_orders += item.value
    if not policy.auto_release:
        return release_result(books, order, "not evaluated")
    return evaluate_order(books, order.number, today, policy, automatic=True)


def evaluate_order(
    books: Books, number: str, today: date, policy: ReleasePolicy, *, automatic: bool
) -> ReleaseResult:
    """A release attempt: rows for the unreleased quantity (automatic: only items due within
    today + slack), credit judged on receivable rows, stock on the credit-cleared ones."""
    order = books.must(SalesOrder, number, what="order")
    customer = books.customer(order.customer_code, order.customer_store)
    horizon = today + timedelta(days=policy.delivery_slack_days)
    candidates: list[ReleaseRow] = []
    for item in books.where(OrderItem, order=number):
        if automatic and item.delivery_date > horizon:
            continue
        new = _row_rest(books, item, today)
        if new is not None:
            candidates.append(new)
    fresh = {r.id for r in candidates}
    candidates += [
        r for r in books.where(ReleaseRow, order=number) if r.id not in fresh and _retry(r)
    ]
    judged = [
        r
        for r in candidates
        if _op(books, r).creates_receivable and (r.id in fresh or r.credit_block in CREDIT_HOLDS)
    ]
    reason = ""
    held = False
    if judged:
        value = sum((r.value for r in judged), ZERO)
        scope = books.scope_customers(customer.code, customer.store, policy.credit.scope == "all")
        titles = [
            t
            for c in scope
            for t in books.where(Receivable, customer_code=c.code, customer_store=c.store)
            if t.status == "open"
        ]
        judge = min(scope, key=lambda c: c.store) if policy.credit.scope == "all" else customer
        decision = evaluate_credit(judge, scope, titles, value, today, policy.credit)
        reason, held = decision.reason, not decision.approved
        for row in judged:
            _set_credit(customer, row, decision.code)
    _evaluate_stock(books, order, [r for r in candidates if r.credit_block == RELEASED])
    short = stock_reason(books, number)
    if short and not held:
        reason = ""
    return release_result(books, order, reason, short)


def stock_reason(books: Books, number: str) -> str:
    """What stock holds back: ``item 01 P1: 5 available, 10 waiting`` per item, or blank."""
    waiting: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for row in books.where(ReleaseRow, order=number):
        if row.waiting and row.credit_block == RELEASED:
            waiting[row.item] += row.quantity
    parts = []
    for item_no in sorted(waiting):
        item = books.must(OrderItem, number, item_no, what="order_item")
        stock = books.get(Stock, item.product, item.warehouse)
        free = max(stock.available(item.reserved_qty), ZERO) if stock else ZERO
        parts.append(
            f"item {item_no} {item.product}: {qty(free)} available, {qty(waiting[item_no])} waiting"
        )
    return "; ".join(parts)


def _retry(row: ReleaseRow) -> bool:
    return row.waiting and (row.credit_block in CREDIT_HOLDS or row.stock_block == NO_STOCK)


def _row_rest(books: Books, item: OrderItem, today: date) -> ReleaseRow | None:
    """A new row (credit blank, stock 02 = not yet evaluated) for the item's unrowed rest."""
    rows = books.where(ReleaseRow, order=item.order, item=item.item)
    live = [r for r in rows if r.credit_block != REVERSED]
    rest = item.quantity - sum((r.quantity for r in live), ZERO)
    if rest <= 0:
        return None
    return books.add(
        ReleaseRow(
            id=books.new_id(),
            order=item.order,
            item=item.item,
            sequence=len(rows) + 1,
            product=item.product,
            quantity=rest,
            value=item.value - sum((r.value for r in live), ZERO),
            credit_block=RELEASED,
            stock_block=NO_STOCK,
            evaluated_on=today,
        )
    )


def _op(books: Books, row: ReleaseRow) -> OperationType:
    item = books.must(OrderItem, row.order, row.item, what="order_item")
    return books.must(OperationType, item.operation, what="operation")


def _set_credit(customer: Customer, row: ReleaseRow, code: str) -> None:
    was = row.credit_block in CREDIT_HOLDS
    now = code in CREDIT_HOLDS
    row.credit_block = code
    if now and not was:
        customer.credit_blocked_orders += row.value
    elif was and not now:
        customer.credit_blocked_orders -= row.value
    if now:
        row.stock_block = NO_STOCK


def _evaluate_stock(books: Books, order: SalesOrder, rows: Iterable[ReleaseRow]) -> None:
    rows = sorted(rows, key=lambda r: (r.item, r.sequence))
    if not rows:
        return
    customer = books.customer(order.customer_code, order.customer_store)
    if order.release_mode == "whole" and not _whole_fits(books, rows):
        for row in rows:
            row.stock_block = NO_STOCK
        return
    for row in rows:
        item = books.must(OrderItem, row.order, row.item, what="order_item")
        op = books.must(OperationType, item.operation, what="operation")
        if not op.moves_stock:
            _release(books, customer, row, item, op, None)
            continue
        stock = books.must(Stock, item.product, item.warehouse, what="stock")
        available = stock.available(item.reserved_qty)
        if available >= row.quantity:
            _release(books, customer, row, item, op, stock)
        elif order.allow_partial and available > 0:
            rest = _split(books, row, item, available)
            rest.stock_block = NO_STOCK
            _release(books, customer, row, item, op, stock)
        else:
            row.stock_block = NO_STOCK


def _whole_fits(books: Books, rows: list[ReleaseRow]) -> bool:
    need: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    own: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for row in rows:
        item = books.must(OrderItem, row.order, row.item, what="order_item")
        if books.must(OperationType, item.operation, what="operation").moves_stock:
            need[item.product, item.warehouse] += row.quantity
            own[item.product, item.warehouse] += item.reserved_qty
    return all(
        books.must(Stock, *key, what="stock").available(own[key]) >= qty
        for key, qty in need.items()
    )


def _split(books: Books, row: ReleaseRow, item: OrderItem, quantity: Decimal) -> ReleaseRow:
    """Cut ``row`` to ``quantity``; the rest becomes a new row with the same blocks."""
    value = line_value(item, quantity)
    sequence = len(books.where(ReleaseRow, order=row.order, item=row.item)) + 1
    rest = books.add(
        ReleaseRow(
            id=books.new_id(),
            order=row.order,
            item=row.item,
            sequence=sequence,
            product=row.product,
            quantity=row.quantity - quantity,
            value=row.value - value,
            credit_block=row.credit_block,
            stock_block=row.stock_block,
            evaluated_on=row.evaluated_on,
        )
    )
    row.quantity, row.value = quantity, value
    return rest


def _release(
    books: Books,
    customer: Customer,
    row: ReleaseRow,
    item: OrderItem,
    op: OperationType,
    stock: Stock | None,
) -> None:
    row.stock_block = RELEASED
    item.released_qty += row.quantity
    if stock is not None:
        used = min(item.reserved_qty, row.quantity)
        stock.reserved -= used
        item.reserved_qty -= used
        stock.allocated += row.quantity
        stock.in_sales_orders -= row.quantity
    if op.creates_receivable:
        customer.open_orders -= row.value
        customer.released_orders += row.value


def _pick(books: Books, number: str, items: Iterable[str] | None) -> list[ReleaseRow]:
    wanted = None if items is None else set(items)
    return [
        r
        for r in books.where(ReleaseRow, order=number)
        if r.waiting and (wanted is None or r.item in wanted)
    ]


def release_credit(
    books: Books,
    number: str,
    today: date,
    items: Iterable[str] | None = None,
    *,
    with_stock: bool = True,
) -> ReleaseResult:
    """The analyst releases the credit of an order's (or some items') blocked rows; stock is
    then re-evaluated (unless ``with_stock`` is False)."""
    order = books.must(SalesOrder, number, what="order")
    customer = books.customer(order.customer_code, order.customer_store)
    rows = [r for r in _pick(books, number, items) if r.credit_block in CREDIT_HOLDS]
    if not rows:
        raise ErpError("nothing_to_release", _why_no_credit_hold(books, order))
    for row in rows:
        _set_credit(customer, row, RELEASED)
    if with_stock:
        _evaluate_stock(books, order, rows)
    return release_result(books, order, "credit released by hand", stock_reason(books, number))


def _why_no_credit_hold(books: Books, order: SalesOrder) -> str:
    status = refresh_status(books, order)
    n = order.number
    if status == "rejected":
        return f"order {n} was rejected (09); there is nothing to release"
    if status == "invoiced":
        return f"order {n} is invoiced"
    if status == "blocked_stock" or any(
        r.waiting and r.stock_block in (NO_STOCK, STOCK_BY_HAND)
        for r in books.where(ReleaseRow, order=n)
    ):
        return f"order {n} is held by stock only (02/03), not by credit; release its stock"
    if status in ("released", "partly_released"):
        return f"order {n} has no credit-blocked items (it is {status.replace('_', ' ')})"
    return f"order {n} has no credit-blocked items"


def release_stock(
    books: Books, number: str, today: date, items: Iterable[str] | None = None
) -> ReleaseResult:
    """Re-evaluate stock for credit-cleared rows blocked by stock (02) or by hand (03)."""
    order = books.must(SalesOrder, number, what="order")
    rows = [
        r
        for r in _pick(books, number, items)
        if r.credit_block == RELEASED and r.stock_block in (NO_STOCK, STOCK_BY_HAND)
    ]
    if not rows:
        held = any(r.credit_block in CREDIT_HOLDS for r in _pick(books, number, items))
        raise ErpError(
            "nothing_to_release",
            f"order {number} is held by credit; release its credit first"
            if held
            else f"order {number} has no stock-blocked items",
        )
    if not _any_fits(books, order, rows):
        raise ErpError("stock_short", f"order {number}: {stock_reason(books, number)}")
    _evaluate_stock(books, order, rows)
    return release_result(books, order, "", stock_reason(books, number))


def _any_fits(books: Books, order: SalesOrder, rows: list[ReleaseRow]) -> bool:
    """Would judging stock release anything of ``rows``?"""
    if order.release_mode == "whole":
        return _whole_fits(books, rows)
    for row in rows:
        item = books.must(OrderItem, row.order, row.item, what="order_item")
        if not books.must(OperationType, item.operation, what="operation").moves_stock:
            return True
        free = books.must(Stock, item.product, item.warehouse, what="stock").available(
            item.reserved_qty
        )
        if free >= row.quantity or (order.allow_partial and free > 0):
            return True
    return False


def reject_order(
    books: Books, number: str, today: date, items: Iterable[str] | None = None
) -> ReleaseResult:
    """Reject (09) the blocked rows and any unevaluated rest of the order (or of some items)."""
    order = books.must(SalesOrder, number, what="order")
    customer = books.customer(order.customer_code, order.customer_store)
    wanted = None if items is None else set(items)
    for item in books.where(OrderItem, order=number):
        if wanted is None or item.item in wanted:
            _row_rest(books, item, today)
    picked = _pick(books, number, items)
    if not picked:
        status = refresh_status(books, order)
        raise ErpError(
            "nothing_to_reject",
            f"order {number} has nothing waiting to reject (it is {status.replace('_', ' ')})"
            + ("; reverse its release (05) first" if "released" in status else ""),
        )
    for row in picked:
        item = books.must(OrderItem, row.order, row.item, what="order_item")
        op = books.must(OperationType, item.operation, what="operation")
        _set_credit(customer, row, REJECTED)
        item.rejected_qty += row.quantity
        if op.creates_receivable:
            customer.open_orders -= row.value
        if op.moves_stock:
            stock = books.must(Stock, item.product, item.warehouse, what="stock")
            stock.in_sales_orders -= row.quantity
            freed = min(item.reserved_qty, row.quantity)
            stock.reserved -= freed
            item.reserved_qty -= freed
    return release_result(books, order, "rejected by hand")


def _unrelease(
    books: Books, number: str, items: Iterable[str] | None, what: str
) -> tuple[SalesOrder, list[tuple[ReleaseRow, OrderItem]]]:
    """Take released, not invoiced rows back: stock from allocated to "in sales orders",
    value from released to open orders. The caller sets the rows' new block."""
    order = books.must(SalesOrder, number, what="order")
    customer = books.customer(order.customer_code, order.customer_store)
    wanted = None if items is None else set(items)
    rows = [
        r
        for r in books.where(ReleaseRow, order=number)
        if r.released and not r.invoice and (wanted is None or r.item in wanted)
    ]
    if not rows:
        raise ErpError(f"nothing_to_{what}", f"order {number} has no released rows to {what}")
    taken = []
    for row in rows:
        item = books.must(OrderItem, row.order, row.item, what="order_item")
        op = books.must(OperationType, item.operation, what="operation")
        item.released_qty -= row.quantity
        if op.moves_stock:
            stock = books.must(Stock, item.product, item.warehouse, what="stock")
            stock.allocated -= row.quantity
            stock.in_sales_orders += row.quantity
        if op.creates_receivable:
            customer.released_orders -= row.value
            customer.open_orders += row.value
        taken.append((row, item))
    return order, taken


def reverse_release(
    books: Books, number: str, today: date, items: Iterable[str] | None = None
) -> ReleaseResult:
    """Reverse (05) released, not yet invoiced rows; their quantity waits for a new release
    attempt (a new row)."""
    order, taken = _unrelease(books, number, items, "reverse")
    for row, _ in taken:
        row.credit_block = REVERSED
    return release_result(books, order, "release reversed")


def hold_stock(
    books: Books, number: str, today: date, items: Iterable[str] | None = None
) -> ReleaseResult:
    """Block by hand (stock 03, e.g. after the order changed) released, not invoiced rows;
    :func:`release_stock` evaluates them again."""
    order, taken = _unrelease(books, number, items, "hold")
    for row, _ in taken:
        row.stock_block = STOCK_BY_HAND
    return release_result(books, order, "stock blocked by hand")


def customer_blocked_orders(books: Books, code: str, store: str) -> list[SalesOrder]:
    """The customer's orders with credit-blocked rows, oldest first."""
    orders = [
        o
        for o in books.where(SalesOrder, customer_code=code, customer_store=store)
        if any(r.waiting and r.credit_block in CREDIT_HOLDS for r in _pick(books, o.number, None))
    ]
    return sorted(orders, key=lambda o: (o.issued, o.number))


def release_customer(
    books: Books, code: str, store: str, today: date, up_to: Decimal | None = None
) -> list[ReleaseResult]:
    """Release the credit of a customer's blocked orders, oldest first; with ``up_to``, only
    while the released value fits that amount."""
    results: list[ReleaseResult] = []
    budget = up_to
    blocked = customer_blocked_orders(books, code, store)
    if not blocked:
        raise ErpError(
            "nothing_to_release", f"customer {code}/{store} has no credit-blocked orders"
        )
    for order in blocked:
        value = sum(
            (r.value for r in _pick(books, order.number, None) if r.credit_block in CREDIT_HOLDS),
            ZERO,
        )
        if budget is not None:
            if value > budget:
                break
            budget -= value
        results.append(release_credit(books, order.number, today))
    if not results:
        raise ErpError(
            "nothing_to_release",
            f"the oldest blocked order {blocked[0].number} is over {money(up_to or ZERO)}",
        )
    return results


def reject_customer(books: Books, code: str, store: str, today: date) -> list[ReleaseResult]:
    """Reject every credit-blocked order of the customer."""
    blocked = customer_blocked_orders(books, code, store)
    if not blocked:
        raise ErpError("nothing_to_reject", f"customer {code}/{store} has no credit-blocked orders")
    return [reject_order(books, o.number, today) for o in blocked]


def reserve_item(books: Books, number: str, item_no: str, quantity: Decimal) -> None:
    """Reserve stock for an item (its own reservation counts as available when releasing)."""
    item = books.must(OrderItem, number, item_no, what="order_item")
    stock = books.must(Stock, item.product, item.warehouse, what="stock")
    pending = item.quantity - item.released_qty - item.invoiced_qty - item.rejected_qty
    if quantity <= 0 or item.reserved_qty + quantity > pending:
        raise ErpError("quantity_invalid", "reservation must be positive and within the item")
    if stock.available() < quantity:
        raise ErpError("stock_short", f"only {stock.available()} available to reserve")
    stock.reserved += quantity
    item.reserved_qty += quantity
    refresh_status(books, books.must(SalesOrder, number, what="order"))

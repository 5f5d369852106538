"""Shape checks shared by the use cases (before anything reaches the ERP)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.money import cents
from erp_bridge.domain.orders import OrderRequest
from erp_bridge.domain.release import price_line
from erp_bridge.port import PromiseRequest


def check_order(req: OrderRequest) -> None:
    """Customer given, 1 to 99 items, quantities and prices within what the ERP holds,
    discounts that leave something to pay (the ERP checks them again with list prices)."""
    if not req.customer_code or not req.customer_store:
        raise ErpError("customer_required", "say which customer (code and store)")
    if not req.lines:
        raise ErpError("order_empty", "an order needs at least one item")
    for n, line in enumerate(req.lines, 1):
        if not line.product:
            raise ErpError("product_required", f"item {n}: say which product")
        probe = replace(line, delivery_date=None)
        if line.unit_price is None:  # discounts are checked with the list price by the ERP
            probe = replace(probe, discount=None, discount_percent=None)
        price_line(n, probe, Decimal("0.01"), date.min)


def check_promise(req: PromiseRequest) -> None:
    """Titles named and an amount in cents."""
    if not req.titles:
        raise ErpError("promise_without_titles", "a promise names at least one title")
    if req.amount <= Decimal(0) or req.amount != cents(req.amount):
        raise ErpError("promise_amount_invalid", "the amount is positive, in cents")

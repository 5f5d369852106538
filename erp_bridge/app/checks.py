"""Shape checks shared by the use cases (before anything reaches the ERP)."""

from __future__ import annotations

from decimal import Decimal

from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.money import cents
from erp_bridge.domain.orders import OrderRequest
from erp_bridge.port import PromiseRequest


def check_order(req: OrderRequest) -> None:
    """Customer given, at least one item, positive quantities, prices in cents."""
    if not req.customer_code or not req.customer_store:
        raise ErpError("customer_required", "say which customer (code and store)")
    if not req.lines:
        raise ErpError("order_empty", "an order needs at least one item")
    for n, line in enumerate(req.lines, 1):
        if not line.product:
            raise ErpError("product_required", f"item {n}: say which product")
        if line.quantity <= 0:
            raise ErpError("quantity_invalid", f"item {n}: quantity must be positive")
        if line.unit_price is not None and (
            line.unit_price < 0 or line.unit_price != cents(line.unit_price)
        ):
            raise ErpError("price_invalid", f"item {n}: price must be positive with cents")


def check_promise(req: PromiseRequest) -> None:
    """Titles named and an amount in cents."""
    if not req.titles:
        raise ErpError("promise_without_titles", "a promise names at least one title")
    if req.amount <= Decimal(0) or req.amount != cents(req.amount):
        raise ErpError("promise_amount_invalid", "the amount is positive, in cents")

"""Televendas: the agent saves the quote as billing; it becomes a sales order and is released."""

from __future__ import annotations

from dataclasses import dataclass

from erp_bridge.app.checks import check_order
from erp_bridge.domain.orders import OrderRequest, ReleaseResult
from erp_bridge.port import ErpPort

# the order's release state as a stable code for the agent
STATUS_CODES = {
    "released": "released",
    "partly_released": "partly_released",
    "blocked_credit": "credit_blocked",
    "blocked_stock": "stock_blocked",
    "open": "awaiting_release",
    "invoiced": "invoiced",
    "rejected": "rejected",
}


@dataclass(frozen=True)
class PlacedOrder:
    """The order made and what the agent tells the customer (``code``, ``reason``)."""

    result: ReleaseResult
    code: str
    reason: str


async def place_sales_order(
    port: ErpPort, req: OrderRequest, *, idempotency_key: str | None = None, by: str = ""
) -> PlacedOrder:
    """Check and enter the order now (the synchronous path; the outbox is the other one).
    Refusals raise ``customer_blocked``, ``product_unknown``, ...; a credit block is not a
    refusal: the order exists and ``code`` is ``credit_blocked``."""
    check_order(req)
    result = await port.create_sales_order(req, idempotency_key=idempotency_key, by=by)
    reason = result.credit_reason or result.stock_reason
    return PlacedOrder(result, STATUS_CODES.get(result.status, result.status), reason)

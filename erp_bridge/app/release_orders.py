"""The credit analyst: release or reject by order or by customer."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.orders import ReleaseResult
from erp_bridge.port import ErpPort


async def release_order(
    port: ErpPort, number: str, *, items: Sequence[str] | None = None, with_stock: bool = True
) -> ReleaseResult:
    """Release credit (and then stock) of an order's blocked items."""
    return await port.release_order(number, items=items, with_stock=with_stock)


async def reject_order(
    port: ErpPort, number: str, *, items: Sequence[str] | None = None
) -> ReleaseResult:
    """Reject (09) an order's blocked items."""
    return await port.reject_order(number, items=items)


async def hold_stock(
    port: ErpPort, number: str, *, items: Sequence[str] | None = None
) -> ReleaseResult:
    """Block by hand (stock 03) released, not invoiced items (``nothing_to_hold`` when none)."""
    return await port.hold_stock(number, items=items)


async def reverse_release(
    port: ErpPort, number: str, *, items: Sequence[str] | None = None
) -> ReleaseResult:
    """Reverse (05) released, not invoiced items (``nothing_to_reverse`` when none)."""
    return await port.reverse_release(number, items=items)


async def release_customer(
    port: ErpPort, code: str, store: str, *, up_to: Decimal | None = None
) -> list[ReleaseResult]:
    """Release a customer's blocked orders, oldest first, up to an amount."""
    if up_to is not None and up_to <= 0:
        raise ErpError("amount_invalid", "release up to a positive amount")
    return await port.release_customer(code, store, up_to=up_to)


async def reject_customer(port: ErpPort, code: str, store: str) -> list[ReleaseResult]:
    """Reject every blocked order of the customer."""
    return await port.reject_customer(code, store)

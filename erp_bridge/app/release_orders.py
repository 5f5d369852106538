"""The credit analyst: release or reject by order or by customer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.money import MAX_AMOUNT, cents
from erp_bridge.domain.orders import ReleaseResult
from erp_bridge.port import ErpPort


@dataclass(frozen=True)
class Analyst:
    """Who acts on the order and why (kept in the order's history)."""

    by: str = ""
    why: str = ""


NOBODY = Analyst()


async def release_order(
    port: ErpPort,
    number: str,
    *,
    items: Sequence[str] | None = None,
    with_stock: bool = True,
    analyst: Analyst = NOBODY,
) -> ReleaseResult:
    """Release credit (and then stock) of an order's blocked items (``nothing_to_release``
    with the reason when none is held by credit: rejected, invoiced, held by stock only)."""
    return await port.release_order(
        number, items=items, with_stock=with_stock, by=analyst.by, why=analyst.why
    )


async def release_stock(
    port: ErpPort, number: str, *, items: Sequence[str] | None = None, analyst: Analyst = NOBODY
) -> ReleaseResult:
    """Judge stock again for items blocked by stock (02) or by hand (03): ``stock_short`` when
    nothing more can be released, ``nothing_to_release`` when none is stock-blocked."""
    return await port.release_order_stock(number, items=items, by=analyst.by, why=analyst.why)


async def reject_order(
    port: ErpPort, number: str, *, items: Sequence[str] | None = None, analyst: Analyst = NOBODY
) -> ReleaseResult:
    """Reject (09) an order's blocked items (``nothing_to_reject`` when none waits)."""
    return await port.reject_order(number, items=items, by=analyst.by, why=analyst.why)


async def hold_stock(
    port: ErpPort, number: str, *, items: Sequence[str] | None = None, analyst: Analyst = NOBODY
) -> ReleaseResult:
    """Block by hand (stock 03) released, not invoiced items (``nothing_to_hold`` when none)."""
    return await port.hold_stock(number, items=items, by=analyst.by, why=analyst.why)


async def reverse_release(
    port: ErpPort, number: str, *, items: Sequence[str] | None = None, analyst: Analyst = NOBODY
) -> ReleaseResult:
    """Reverse (05) released, not invoiced items (``nothing_to_reverse`` when none)."""
    return await port.reverse_release(number, items=items, by=analyst.by, why=analyst.why)


async def release_customer(
    port: ErpPort,
    code: str,
    store: str,
    *,
    up_to: Decimal | None = None,
    analyst: Analyst = NOBODY,
) -> list[ReleaseResult]:
    """Release a customer's blocked orders, oldest first, up to an amount."""
    if up_to is not None and (up_to <= 0 or up_to > MAX_AMOUNT or up_to != cents(up_to)):
        raise ErpError("amount_invalid", "release up to a positive amount in cents")
    return await port.release_customer(code, store, up_to=up_to, by=analyst.by, why=analyst.why)


async def reject_customer(
    port: ErpPort, code: str, store: str, *, analyst: Analyst = NOBODY
) -> list[ReleaseResult]:
    """Reject every blocked order of the customer."""
    return await port.reject_customer(code, store, by=analyst.by, why=analyst.why)

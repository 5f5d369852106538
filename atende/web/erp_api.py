"""ERP endpoints of Faturamento: customer lookup and position, products, order entry, the
credit analyst's release / reject screens, and invoicing.

Roles: agents (and supervisors) look customers up, see positions and products, and enter
orders; supervisors (the credit analyst and billing) list blocked orders, release, reject and
invoice. Admin may do everything.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from atende.auth import Role
from atende.web.agent_scope import (
    agent_customers_only,
    check_agent_customer,
    check_agent_order,
)
from atende.web.erp_orders_view import blocked_orders, order_view
from atende.web.erp_support import body_of, erp, erp_errors, parse, reply, to_json
from atende.web.security import allow, principal
from erp_bridge.app.customer_position import customer_position
from erp_bridge.app.find_customer import find_customer
from erp_bridge.app.invoice_order import invoice_order
from erp_bridge.app.place_sales_order import place_sales_order
from erp_bridge.app.release_orders import (
    Analyst,
    hold_stock,
    reject_customer,
    reject_order,
    release_customer,
    release_order,
    release_stock,
    reverse_release,
)
from erp_bridge.domain.orders import OrderRequest, ReleaseResult


class NoteBody(BaseModel):
    """Which items of an order (all that apply when absent) and why (kept in its history)."""

    model_config = ConfigDict(extra="forbid")
    items: list[Annotated[str, Field(max_length=10)]] | None = Field(None, max_length=99)
    reason: str = Field("", max_length=200)


class ItemsBody(NoteBody):
    """A credit release: also judge stock afterwards unless ``with_stock`` is false."""

    with_stock: bool = True


class UpToBody(BaseModel):
    """Release a customer's blocked orders up to an amount (all when absent)."""

    model_config = ConfigDict(extra="forbid")
    up_to: Decimal | None = None
    reason: str = Field("", max_length=200)


def analyst(request: web.Request, reason: str) -> Analyst:
    """The signed-in user and the reason they gave."""
    return Analyst(principal(request).username, reason.strip())


def release_json(result: ReleaseResult) -> dict[str, Any]:
    """A release result with its released value and per-item block codes."""
    return {
        "order": result.order,
        "status": result.status,
        "credit_reason": result.credit_reason,
        "stock_reason": result.stock_reason,
        "released_value": result.released_value,
        "lines": result.lines,
    }


def _customer(request: web.Request) -> tuple[str, str]:
    return request.match_info["code"], request.match_info["store"]


@allow(Role.AGENT, Role.SUPERVISOR)
@erp_errors
async def search_customers(request: web.Request) -> web.Response:
    """Find customers by the calling phone or a CPF/CNPJ (``tax_id_invalid``, ``phone_invalid``,
    ``search_empty``)."""
    q = request.query
    found = await find_customer(
        erp(request).port, phone=q.get("phone") or None, tax_id=q.get("tax_id") or None
    )
    found = await agent_customers_only(request, found, lambda c: (c.code, c.store))
    return reply({"customers": found})


@allow(Role.AGENT, Role.SUPERVISOR)
@erp_errors
async def get_position(request: web.Request) -> web.Response:
    """The customer position: credit, balances, open and paid titles, orders, invoices."""
    await check_agent_customer(request, *_customer(request))
    return reply(await customer_position(erp(request).port, *_customer(request)))


@allow(Role.AGENT, Role.SUPERVISOR)
@erp_errors
async def list_products(request: web.Request) -> web.Response:
    """Products with stock in a warehouse (``search`` text, ``codes`` comma-separated)."""
    q = request.query
    codes = [c for c in q.get("codes", "").split(",") if c] or None
    found = await erp(request).port.products(
        codes, warehouse=q.get("warehouse", "01"), search=q.get("search", "")
    )
    return reply({"products": found})


@allow(Role.AGENT, Role.SUPERVISOR)
@erp_errors
async def enter_order(request: web.Request) -> web.Response:
    """Enter a sales order; the answer is the automatic release (per item block codes, order
    status, and ``code``/``reason`` to tell the customer). An ``Idempotency-Key`` header makes
    a repeated request answer the first result."""
    req = parse(OrderRequest, await body_of(request))
    await check_agent_customer(request, req.customer_code, req.customer_store)
    key = request.headers.get("Idempotency-Key") or None
    placed = await place_sales_order(
        erp(request).port, req, idempotency_key=key, by=principal(request).username
    )
    return reply({**release_json(placed.result), "code": placed.code, "reason": placed.reason}, 201)


@allow(Role.SUPERVISOR)
@erp_errors
async def list_blocked(request: web.Request) -> web.Response:
    """Credit-blocked orders, oldest first (``customer_code`` and ``customer_store`` filter)."""
    q = request.query
    found = await blocked_orders(
        erp(request).embedded,
        customer_code=q.get("customer_code") or None,
        customer_store=q.get("customer_store") or None,
    )
    return reply({"orders": found})


@allow(Role.AGENT, Role.SUPERVISOR)
@erp_errors
async def get_order(request: web.Request) -> web.Response:
    """One order's release state: status, blocked value, rows with their block codes, and its
    history (who entered, released, rejected, reversed or blocked it, when and why)."""
    number = request.match_info["number"]
    await check_agent_order(request, number)
    view = await order_view(erp(request).embedded, number)
    history = await erp(request).embedded.history(number)  # type: ignore[union-attr]
    return reply({**to_json(view), "history": history})


@allow(Role.SUPERVISOR)
@erp_errors
async def release_one(request: web.Request) -> web.Response:
    """Release credit (then stock) of an order's blocked items (all, or ``items``)."""
    body = parse(ItemsBody, await body_of(request))
    result = await release_order(
        erp(request).port,
        request.match_info["number"],
        items=body.items,
        with_stock=body.with_stock,
        analyst=analyst(request, body.reason),
    )
    return reply(release_json(result))


@allow(Role.SUPERVISOR)
@erp_errors
async def reject_one(request: web.Request) -> web.Response:
    """Reject (09) an order's blocked items (all, or ``items``); ``nothing_to_reject`` (409)
    when none waits."""
    body = parse(NoteBody, await body_of(request))
    result = await reject_order(
        erp(request).port,
        request.match_info["number"],
        items=body.items,
        analyst=analyst(request, body.reason),
    )
    return reply(release_json(result))


@allow(Role.SUPERVISOR)
@erp_errors
async def reverse_one(request: web.Request) -> web.Response:
    """Reverse (05) the release of an order's released, not invoiced items (all, or
    ``items``); they wait for a new analysis. ``nothing_to_reverse`` (409) when none."""
    body = parse(NoteBody, await body_of(request))
    result = await reverse_release(
        erp(request).port,
        request.match_info["number"],
        items=body.items,
        analyst=analyst(request, body.reason),
    )
    return reply(release_json(result))


@allow(Role.SUPERVISOR)
@erp_errors
async def hold_stock_one(request: web.Request) -> web.Response:
    """Block by hand (stock 03) an order's released, not invoiced items, e.g. after the order
    changed. ``nothing_to_hold`` (409) when none is released."""
    body = parse(NoteBody, await body_of(request))
    result = await hold_stock(
        erp(request).port,
        request.match_info["number"],
        items=body.items,
        analyst=analyst(request, body.reason),
    )
    return reply(release_json(result))


@allow(Role.SUPERVISOR)
@erp_errors
async def release_stock_one(request: web.Request) -> web.Response:
    """Judge stock again for an order's items blocked by stock (02) or by hand (03).
    ``stock_short`` (409) when still nothing can go, ``nothing_to_release`` (409) when no item
    is stock-blocked (or credit still holds it)."""
    body = parse(NoteBody, await body_of(request))
    result = await release_stock(
        erp(request).port,
        request.match_info["number"],
        items=body.items,
        analyst=analyst(request, body.reason),
    )
    return reply(release_json(result))


def _results(results: Sequence[ReleaseResult]) -> dict[str, Any]:
    return {
        "orders": [release_json(r) for r in results],
        "released_value": sum((r.released_value for r in results), Decimal(0)),
    }


@allow(Role.SUPERVISOR)
@erp_errors
async def release_by_customer(request: web.Request) -> web.Response:
    """Release a customer's blocked orders, oldest first: all, or ``up_to`` an amount."""
    body = parse(UpToBody, await body_of(request))
    results = await release_customer(
        erp(request).port,
        *_customer(request),
        up_to=body.up_to,
        analyst=analyst(request, body.reason),
    )
    return reply(_results(results))


@allow(Role.SUPERVISOR)
@erp_errors
async def reject_by_customer(request: web.Request) -> web.Response:
    """Reject every credit-blocked order of the customer (``nothing_to_reject`` when none)."""
    body = parse(NoteBody, await body_of(request))
    results = await reject_customer(
        erp(request).port, *_customer(request), analyst=analyst(request, body.reason)
    )
    return reply(_results(results))


@allow(Role.SUPERVISOR)
@erp_errors
async def invoice(request: web.Request) -> web.Response:
    """Invoice an order's released items: the document and its receivables per installment
    (``nothing_to_invoice`` when none is released)."""
    return reply(await invoice_order(erp(request).port, request.match_info["number"]), 201)

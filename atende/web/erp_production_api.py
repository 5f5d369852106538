"""Production orders and payments on the embedded ERP: the production run, completing a
production order (all or part), and money received on a title. Each may release waiting
orders: the items waiting for the product, the customer's credit-blocked orders."""

from __future__ import annotations

from decimal import Decimal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from atende.auth import Role
from atende.web.erp_support import body_of, erp, erp_errors, parse, reply
from atende.web.security import allow
from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.money import MAX_AMOUNT, MAX_QUANTITY
from erp_bridge.embedded.adapter import EmbeddedErp


class CompleteBody(BaseModel):
    """How much was made."""

    model_config = ConfigDict(extra="forbid")
    quantity: Decimal = Field(gt=0, le=MAX_QUANTITY, decimal_places=4)


class PaymentBody(BaseModel):
    """Money received on one title."""

    model_config = ConfigDict(extra="forbid")
    prefix: str = Field(min_length=1, max_length=20)
    number: str = Field(min_length=1, max_length=20)
    installment: str = Field("", max_length=3)
    amount: Decimal = Field(gt=0, le=MAX_AMOUNT, decimal_places=2)


def _embedded(request: web.Request) -> EmbeddedErp:
    found = erp(request).embedded
    if found is None:
        raise ErpError("not_supported", "production and payments are kept in Protheus")
    return found


@allow(Role.SUPERVISOR)
@erp_errors
async def list_production(request: web.Request) -> web.Response:
    """Production orders (``status`` open, partly_done or done), by number."""
    status = request.query.get("status") or None
    found = await _embedded(request).production_orders(status=status)
    return reply({"production_orders": found})


@allow(Role.SUPERVISOR)
@erp_errors
async def run_production(request: web.Request) -> web.Response:
    """The "from sales orders" run: production orders for released items made in-house and
    short of stock, their components reserved."""
    made = await _embedded(request).production_run()
    return reply({"production_orders": made}, 201)


@allow(Role.SUPERVISOR)
@erp_errors
async def complete(request: web.Request) -> web.Response:
    """Report a quantity made on a production order: components leave stock, the product
    enters it, the items waiting for it are judged again (``component_short``,
    ``production_done``)."""
    body = parse(CompleteBody, await body_of(request))
    done = await _embedded(request).complete_production(request.match_info["number"], body.quantity)
    return reply(done)


@allow(Role.SUPERVISOR)
@erp_errors
async def pay(request: web.Request) -> web.Response:
    """Money received on a title; the customer's credit-blocked orders are judged again."""
    body = parse(PaymentBody, await body_of(request))
    key = (body.prefix, body.number, body.installment)
    return reply(await _embedded(request).receive_payment(key, body.amount), 201)

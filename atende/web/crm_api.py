"""HTTP API of the customer view (screen-pop): a customer's view and the customers of a phone
number or CPF/CNPJ. Supervisors only for now; agents will get the customers of their own calls
when the desktop lands. One table, :data:`OPERATIONS`, gives the routes and their OpenAPI
description.
"""

from __future__ import annotations

import functools

from aiohttp import web

from atende.auth import Role
from atende.web.erp_support import erp_status
from atende.web.errors import ApiError
from atende.web.openapi_ops import Operation
from atende.web.security import Handler, allow
from crm_sync.app.customer_views import CustomerViews
from crm_sync.domain.errors import CrmError
from crm_sync.domain.view import CustomerView, Lookup
from erp_bridge.domain.errors import ErpError

CRM: web.AppKey[CustomerViews | None] = web.AppKey("crm", object)  # type: ignore[arg-type]
CRM_STATUS = {"erp_unavailable": 503, "interaction_invalid": 422}


def crm_errors(handler: Handler) -> Handler:
    """Answer the view's and the ERP's refusals with their codes (404, 422, 503)."""

    @functools.wraps(handler)
    async def call(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except CrmError as err:
            raise ApiError(CRM_STATUS.get(err.code, 409), err.code, err.message) from None
        except ErpError as err:
            status = 422 if err.code in ("phone_invalid", "tax_id_invalid") else None
            raise ApiError(status or erp_status(err.code), err.code, err.message) from None

    return call


def _views(request: web.Request) -> CustomerViews:
    views = request.app.get(CRM)
    if views is None:
        raise ApiError(503, "customers_not_running", "the customer view is not running")
    return views


def _customer(raw: str) -> tuple[str, str]:
    code, _, store = raw.partition("-")
    if not code or not code.isalnum() or (store and not store.isalnum()):
        raise ApiError(
            422,
            "invalid_request",
            "a customer is CODE-STORE, e.g. 000001-01",
            fields=[{"field": "customer", "problem": "expected CODE-STORE"}],
        )
    return code, store or "01"


@allow(Role.SUPERVISOR)
@crm_errors
async def customer_view(request: web.Request) -> web.Response:
    """GET /api/customers/{customer}/view: the customer's view (screen-pop document).

    ``customer`` is ``CODE-STORE`` (``000001-01``; store ``01`` when left out). Served from the
    cache when fresh, else read from the ERP; while the ERP does not answer, the last copy comes
    back with ``stale: true`` and its ``age_seconds``. Agents will see the customers of their own
    calls only, once the agent desktop lands; today supervisors only.
    """
    code, store = _customer(request.match_info["customer"])
    view = await _views(request).view(code, store)
    return web.json_response(view.model_dump(mode="json"))


@allow(Role.SUPERVISOR)
@crm_errors
async def find_customers(request: web.Request) -> web.Response:
    """GET /api/customers: the customers of a phone number (``?phone=``, Brazil by default)
    or of a CPF/CNPJ (``?tax_id=``). Several customers may share one number: all are listed.
    """
    phone, tax_id = request.query.get("phone"), request.query.get("tax_id")
    if bool(phone) == bool(tax_id):
        raise ApiError(
            422,
            "invalid_request",
            "give exactly one of phone or tax_id",
            fields=[{"field": "phone", "problem": "give phone or tax_id (one of them)"}],
        )
    views = _views(request)
    found = await (views.by_phone(phone) if phone else views.by_tax_id(tax_id or ""))
    return web.json_response(found.model_dump(mode="json"))


TAGS = ("customers",)
OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/api/customers/{customer}/view",
        customer_view,
        response=CustomerView,
        refusals=(422, 503),
        tags=TAGS,
    ),
    Operation(
        "GET", "/api/customers", find_customers, response=Lookup, refusals=(422, 503), tags=TAGS
    ),
)


def add_routes(app: web.Application, views: CustomerViews | None) -> None:
    """Register the customer view endpoints on ``app`` (503 ``customers_not_running``
    without ``views``)."""
    app[CRM] = views
    for op in OPERATIONS:
        op.route(app)

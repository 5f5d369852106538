"""What every ERP endpoint shares: the ERP context, JSON in and out, and error mapping.

Amounts, quantities and dates go out as strings (``"1234.50"``, ``"2026-11-27"``); requests are
read into the ``erp_bridge`` request types by pydantic, so a bad shape is a 422
``invalid_request`` naming each bad field. :class:`~erp_bridge.domain.errors.ErpError` becomes
a 4xx with the ERP's stable code: 404 for ``*_unknown``, 422 for malformed input, 409 for a
state that refuses the request, 501 ``not_supported`` (Protheus has no REST for it).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

import structlog
from aiohttp import ClientError, web
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from atende.web.errors import ApiError
from atende.web.security import Handler
from erp_bridge.domain.errors import ErpError
from erp_bridge.embedded.adapter import EmbeddedErp
from erp_bridge.port import ErpPort
from erp_bridge.protheus.client import ProtheusUnavailable

log = structlog.get_logger("atende.web.erp")
T = TypeVar("T")


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ErpApi:
    """What the ERP endpoints use: the port, the engine's database (outbox), and the embedded
    ERP when that is the adapter (the credit analyst's lists read its tables)."""

    port: ErpPort
    engine: AsyncEngine
    embedded: EmbeddedErp | None = None
    clock: Callable[[], datetime] = _utcnow


ERP_API: web.AppKey[ErpApi] = web.AppKey("erp_api", ErpApi)

# malformed input: the caller must change the request
INPUT_CODES = frozenset(
    {
        "tax_id_invalid",
        "phone_invalid",
        "search_empty",
        "customer_required",
        "order_empty",
        "product_required",
        "quantity_invalid",
        "price_invalid",
        "discount_invalid",
        "delivery_date_invalid",
        "amount_too_large",
        "order_too_long",
        "release_mode_invalid",
        "promise_without_titles",
        "promise_amount_invalid",
        "promise_date_past",
        "promise_too_far",
        "amount_invalid",
        "min_days_invalid",
        "description_required",
        "line_kind_invalid",
        "visit_times_invalid",
        "outcome_kind_invalid",
        "payload_invalid",
        "parameter_invalid",
        "format_unknown",
        "file_unreadable",
        "parameters_empty",
    }
)
STATUS_OF = {"not_supported": 501, "erp_auth_failed": 502, "file_too_large": 413}


def erp_status(code: str) -> int:
    """The HTTP status of an ERP error code."""
    if code in STATUS_OF:
        return STATUS_OF[code]
    if code.endswith("_unknown"):
        return 404
    return 422 if code in INPUT_CODES else 409


def erp_errors(handler: Handler) -> Handler:
    """Turn ``ErpError`` into its 4xx and an unreachable ERP into 503 ``erp_unavailable``."""

    @functools.wraps(handler)
    async def call(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ErpError as err:
            raise ApiError(erp_status(err.code), err.code, err.message) from None
        except (ClientError, TimeoutError, ProtheusUnavailable) as err:
            log.warning("erp_unavailable", path=request.path, error=type(err).__name__)
            raise ApiError(503, "erp_unavailable", "the ERP did not answer") from None

    return call


def erp(request: web.Request) -> ErpApi:
    """The ERP context of the application."""
    return request.app[ERP_API]


_ANY: TypeAdapter[Any] = TypeAdapter(Any)


# amounts of money: shown with cents ("50.00"), whatever the database gave back ("50")
MONEY = frozenset(
    {
        "amount",
        "balance",
        "credit_blocked_value",
        "credit_blocked_orders",
        "credit_limit",
        "secondary_limit",
        "discount",
        "interest",
        "largest_purchase",
        "largest_title",
        "limit_balance",
        "list_price",
        "open_orders",
        "open_receivables",
        "overdue_amount",
        "released",
        "released_orders",
        "released_value",
        "total",
        "unit_price",
        "value",
    }
)
CENT = Decimal("0.01")


def _cents(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _money(v) if k in MONEY else _cents(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_cents(v) for v in value]
    return value


def _money(value: Any) -> Any:
    if isinstance(value, str):
        try:
            number = Decimal(value)
        except ArithmeticError:
            return value
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and exponent > -2:
            return str(number.quantize(CENT))
        return value
    return _cents(value)


def to_json(value: Any) -> Any:
    """Records as JSON values: Decimal and dates as strings, money with cents."""
    return _cents(_ANY.dump_python(value, mode="json"))


def reply(value: Any, status: int = 200) -> web.Response:
    """A JSON response of ``value`` (dataclasses, lists, dicts)."""
    return web.json_response(to_json(value), status=status)


async def body_of(request: web.Request) -> dict[str, Any]:
    """The request's JSON object (empty body reads as ``{}``)."""
    if not request.body_exists:
        return {}
    try:
        body = json.loads(await request.text(), parse_float=Decimal)  # no float for money
    except ValueError:
        raise ApiError(400, "invalid_json", "request body is not JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "request body must be a JSON object")
    return body


def parse(kind: type[T], data: Any) -> T:
    """Read ``data`` as ``kind`` or answer 422 ``invalid_request`` listing each bad field."""
    return validate(TypeAdapter(kind), data)


def validate(adapter: TypeAdapter[T], data: Any) -> T:
    """Read ``data`` with ``adapter`` or answer 422 ``invalid_request``."""
    try:
        result: T = adapter.validate_python(data)
    except ValidationError as exc:
        fields = [
            {"field": ".".join(str(p) for p in err["loc"]), "problem": err["msg"]}
            for err in exc.errors()
        ]
        raise ApiError(
            422, "invalid_request", "the request has bad fields", fields=fields
        ) from None
    return result


def query_int(request: web.Request, name: str, default: int) -> int:
    """An integer query parameter, or 422 ``invalid_request``."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ApiError(422, "invalid_request", f"{name} must be an integer") from None

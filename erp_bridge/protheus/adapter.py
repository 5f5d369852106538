"""The ERP port over Protheus REST. Customers and credit come from the standard APIs; sales
orders go to the site's custom order endpoint with a configurable payload mapping. What
Protheus exposes no standard REST for (releases, invoicing, promises, tickets, change feed)
answers ``not_supported``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, NoReturn

from erp_bridge.domain.collection import CollectionItem
from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.field_service import TicketRequest
from erp_bridge.domain.invoicing import InvoiceResult
from erp_bridge.domain.money import ZERO
from erp_bridge.domain.orders import OrderRequest, ReleaseLine, ReleaseResult
from erp_bridge.domain.phones import normalize_phone
from erp_bridge.domain.position import CustomerPosition, OrdersSummary
from erp_bridge.domain.taxid import normalize_tax_id
from erp_bridge.port import (
    Change,
    CustomerRef,
    ErpPort,
    ProductStock,
    PromiseRequest,
    PromiseResult,
    TicketResult,
    TicketUpdate,
)
from erp_bridge.protheus.client import ProtheusClient

CUSTOMERS = "/api/crm/v1/customerVendor"
CREDIT = "/api/fat/v1/CustomerCreditLimit"

OrderPayload = Callable[[OrderRequest, str | None], dict[str, Any]]
OrderAnswer = Callable[[dict[str, Any]], ReleaseResult]


def default_order_payload(req: OrderRequest, key: str | None) -> dict[str, Any]:
    """The "Order" message fields, camelCase, as a custom endpoint typically takes them."""
    return {
        "customerCode": req.customer_code,
        "customerStore": req.customer_store,
        "paymentConditionCode": req.payment_terms or "",
        "sellerCode": req.seller,
        "origin": req.origin,
        "priceTableCode": req.price_table or "",
        "idempotencyKey": key or "",
        "items": [
            {
                "item": f"{n:02d}",
                "productCode": ln.product,
                "quantity": str(ln.quantity),
                "unitPrice": None if ln.unit_price is None else str(ln.unit_price),
                "operation": ln.operation,
                "warehouse": ln.warehouse,
                "deliveryDate": ln.delivery_date.isoformat() if ln.delivery_date else None,
                "discountValue": None if ln.discount is None else str(ln.discount),
                "discountPercent": (
                    None if ln.discount_percent is None else str(ln.discount_percent)
                ),
            }
            for n, ln in enumerate(req.lines, 1)
        ],
    }


def default_order_answer(body: dict[str, Any]) -> ReleaseResult:
    """``{orderNumber, status, creditReason, items: [{item, productCode, quantity, value,
    creditBlock, stockBlock}]}`` into a release result."""
    return ReleaseResult(
        order=str(body["orderNumber"]),
        status=str(body.get("status", "open")),
        credit_reason=str(body.get("creditReason", "")),
        lines=tuple(
            ReleaseLine(
                str(i["item"]),
                str(i["productCode"]),
                Decimal(str(i["quantity"])),
                Decimal(str(i.get("value", "0"))),
                str(i.get("creditBlock", "")).strip(),
                str(i.get("stockBlock", "")).strip(),
            )
            for i in body.get("items", [])
        ),
    )


def _tax_id(item: dict[str, Any]) -> str:
    for info in item.get("governmentalInformation", []) or []:
        if str(info.get("name", "")).upper() in ("CPF", "CNPJ"):
            return "".join(ch for ch in str(info.get("id", "")) if ch.isdigit())
    return ""


def _phones(item: dict[str, Any]) -> list[str]:
    found = []
    for info in item.get("listOfCommunicationInformation", []) or []:
        number = str(info.get("phoneNumber", "")).strip()
        if not number:
            continue
        country = info.get("internationalDiallingCode") or "55"
        raw = f"+{country}{info.get('diallingCode', '')}{number}"
        try:
            found.append(normalize_phone(raw))
        except ErpError:
            continue
    return found


def _ref(item: dict[str, Any]) -> CustomerRef:
    phones = _phones(item)
    return CustomerRef(
        code=str(item.get("code", "")),
        store=str(item.get("storeId", "")),
        name=str(item.get("name", "")),
        tax_id=_tax_id(item),
        phone=phones[0] if phones else "",
        risk=str(item.get("riskCategory", "")),
        blocked=str(item.get("registerSituation", "1")) != "1",
    )


def _date(value: Any) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None


def _not_supported(what: str) -> NoReturn:
    raise ErpError("not_supported", f"{what} is not available through Protheus REST")


class ProtheusErp:
    """Implements the reads and order entry of :class:`erp_bridge.port.ErpPort` on Protheus."""

    def __init__(
        self,
        client: ProtheusClient,
        *,
        order_payload: OrderPayload = default_order_payload,
        order_answer: OrderAnswer = default_order_answer,
    ) -> None:
        self._client = client
        self._order_payload = order_payload
        self._order_answer = order_answer

    async def find_customers(
        self, *, phone: str | None = None, tax_id: str | None = None
    ) -> list[CustomerRef]:
        """Search customerVendor (type 1) and keep exact tax id / phone matches."""
        if tax_id:
            wanted = normalize_tax_id(tax_id)
            term = wanted

            def match(ref: CustomerRef, item: dict[str, Any]) -> bool:
                return ref.tax_id == wanted
        elif phone:
            e164 = normalize_phone(phone)
            term = e164[-8:]

            def match(ref: CustomerRef, item: dict[str, Any]) -> bool:
                return e164 in _phones(item)
        else:
            raise ErpError("search_empty", "give a phone or a tax id")
        params = {"type": 1, self._client.config.customer_search_param: term}
        found = []
        async for item in self._client.items(CUSTOMERS, params):
            ref = _ref(item)
            if match(ref, item):
                found.append(ref)
        return found

    async def customer_position(self, code: str, store: str) -> CustomerPosition:
        """Registration from customerVendor, balances from CustomerCreditLimit."""
        item = await self._client.get(f"{CUSTOMERS}/1/{code}{store}")
        credit = await self._client.get(f"{CREDIT}/{code}{store}")
        ref = _ref(item)
        info = item.get("creditInformation") or {}
        billing = Decimal(str(credit.get("CreditLimitUsedByBilling", "0")))
        orders = Decimal(str(credit.get("CreditLimitUsedBySalesOrders", "0")))
        limit = Decimal(str(credit.get("TotalCreditLimit", info.get("creditLimit", "0"))))
        return CustomerPosition(
            code=ref.code, store=ref.store, name=ref.name, tax_id=ref.tax_id,
            phones=tuple(_phones(item)), seller=str(item.get("sellerCode", "")),
            risk=ref.risk, size_class="", blocked=ref.blocked, credit_limit=limit,
            credit_limit_expiry=_date(credit.get("LimitDate") or info.get("creditLimitDate")),
            secondary_limit=ZERO, limit_currency=1,
            open_receivables=billing, open_orders=ZERO, released_orders=orders,
            credit_blocked_orders=ZERO,
            limit_balance=Decimal(str(credit.get("CreditLimit", limit - billing - orders))),
            largest_purchase=ZERO, largest_title=ZERO, average_days_late=ZERO, largest_delay=0,
            protested_titles=0, returned_cheques=0, first_purchase=None, last_purchase=None,
            overdue_amount=ZERO, open_titles=(), paid_titles=(),
            orders=OrdersSummary(0, ZERO, orders, ZERO), invoices=(),
        )  # fmt: skip

    async def products(
        self, codes: Sequence[str] | None = None, *, warehouse: str = "01", search: str = ""
    ) -> list[ProductStock]:
        """Not mapped yet (sites differ in their stock APIs)."""
        _not_supported("product stock")

    async def create_sales_order(
        self, req: OrderRequest, *, idempotency_key: str | None = None, by: str = ""
    ) -> ReleaseResult:
        """POST the order to the configured endpoint, with the key as ``Idempotency-Key``."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        body = await self._client.post(
            self._client.config.order_path, self._order_payload(req, idempotency_key), headers
        )
        return self._order_answer(body)

    async def release_order(
        self,
        number: str,
        *,
        items: Sequence[str] | None = None,
        with_stock: bool = True,
        by: str = "",
        why: str = "",
    ) -> ReleaseResult:
        """Releases are done in Protheus (MATA450/455)."""
        _not_supported("credit release")

    async def release_order_stock(
        self, number: str, *, items: Sequence[str] | None = None, by: str = "", why: str = ""
    ) -> ReleaseResult:
        """Done in Protheus."""
        _not_supported("stock release")

    async def reject_order(
        self, number: str, *, items: Sequence[str] | None = None, by: str = "", why: str = ""
    ) -> ReleaseResult:
        """Done in Protheus."""
        _not_supported("rejecting orders")

    async def hold_stock(
        self, number: str, *, items: Sequence[str] | None = None, by: str = "", why: str = ""
    ) -> ReleaseResult:
        """Done in Protheus."""
        _not_supported("blocking stock by hand")

    async def reverse_release(
        self, number: str, *, items: Sequence[str] | None = None, by: str = "", why: str = ""
    ) -> ReleaseResult:
        """Done in Protheus."""
        _not_supported("reversing releases")

    async def release_customer(
        self, code: str, store: str, *, up_to: Decimal | None = None, by: str = "", why: str = ""
    ) -> list[ReleaseResult]:
        """Done in Protheus."""
        _not_supported("credit release by customer")

    async def reject_customer(
        self, code: str, store: str, *, by: str = "", why: str = ""
    ) -> list[ReleaseResult]:
        """Done in Protheus."""
        _not_supported("rejecting by customer")

    async def invoice(self, number: str) -> InvoiceResult:
        """Done in Protheus (MATA460)."""
        _not_supported("invoicing")

    async def register_promise(
        self, req: PromiseRequest, *, idempotency_key: str | None = None
    ) -> PromiseResult:
        """Needs a site endpoint."""
        _not_supported("promises to pay")

    async def overdue_titles(self, *, min_days: int = 1) -> list[CollectionItem]:
        """Needs a site endpoint."""
        _not_supported("overdue titles")

    async def open_service_ticket(
        self, req: TicketRequest, *, idempotency_key: str | None = None
    ) -> TicketResult:
        """Needs a site endpoint."""
        _not_supported("service tickets")

    async def update_service_ticket(self, number: str, update: TicketUpdate) -> TicketResult:
        """Needs a site endpoint."""
        _not_supported("service tickets")

    async def changes(self, after: int = 0, limit: int = 500) -> list[Change]:
        """Protheus has no change feed; the cache expires by time instead."""
        return []


def _conforms(erp: ProtheusErp) -> ErpPort:
    return erp  # mypy checks the adapter against the port

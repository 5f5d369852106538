"""The ERP port: what the contact center asks of an ERP (embedded or Protheus).

Every call is async; business refusals raise :class:`~erp_bridge.domain.errors.ErpError` with a
stable code. Calls that create something take an ``idempotency_key``: the same key applied twice
returns the first answer and changes nothing more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from erp_bridge.domain.collection import CollectionItem, TitleKey
from erp_bridge.domain.field_service import TicketRequest, WorkLine
from erp_bridge.domain.invoicing import InvoiceResult
from erp_bridge.domain.orders import OrderRequest, ReleaseResult
from erp_bridge.domain.position import CustomerPosition


@dataclass(frozen=True)
class CustomerRef:
    """A customer store found by phone or tax id."""

    code: str
    store: str
    name: str
    tax_id: str
    phone: str
    risk: str
    blocked: bool


@dataclass(frozen=True)
class ProductStock:
    """A product with its stock in one warehouse."""

    code: str
    description: str
    kind: str
    unit: str
    list_price: Decimal
    warehouse: str
    on_hand: Decimal
    available: Decimal
    incoming: Decimal


@dataclass(frozen=True)
class PromiseRequest:
    """A promise to pay some titles by a date."""

    customer_code: str
    customer_store: str
    titles: tuple[TitleKey, ...]
    promised_on: date
    amount: Decimal
    operator: str = ""


@dataclass(frozen=True)
class PromiseResult:
    """The promise as recorded."""

    id: str
    customer_code: str
    customer_store: str
    promised_on: date
    amount: Decimal
    status: str


@dataclass(frozen=True)
class VisitInput:
    """A technician's visit to record on the ticket's work order."""

    technician: str
    started_at: datetime
    ended_at: datetime | None = None
    closed: bool = False


@dataclass(frozen=True)
class TicketUpdate:
    """What to do to a ticket: add a note, make the work order, record a visit, close."""

    note: str = ""
    work_lines: tuple[WorkLine, ...] = ()
    visit: VisitInput | None = None
    sales_order: bool = False  # turn the work order's parts and services into a sales order
    close_work_order: bool = False
    close: bool = False


@dataclass(frozen=True)
class TicketResult:
    """The ticket after the call."""

    number: str
    customer_code: str
    customer_store: str
    status: str
    work_order: str
    work_order_status: str
    sales_order: str = ""
    order_status: str = ""


@dataclass(frozen=True)
class Change:
    """One entry of the change feed: something of this customer (or product) changed."""

    seq: int
    kind: str
    customer_code: str
    customer_store: str
    ref: str
    at: datetime


class ErpPort(Protocol):
    """What the rest of Atende calls; implemented by the embedded ERP and the Protheus adapter."""

    async def find_customers(
        self, *, phone: str | None = None, tax_id: str | None = None
    ) -> list[CustomerRef]:
        """Customers whose phone (any format, Brazilian default) or CPF/CNPJ matches."""
        ...

    async def customer_position(self, code: str, store: str) -> CustomerPosition:
        """The customer position (credit, balances, titles, orders, invoices)."""
        ...

    async def products(
        self, codes: Sequence[str] | None = None, *, warehouse: str = "01", search: str = ""
    ) -> list[ProductStock]:
        """Products with their stock in ``warehouse`` (some codes, or a text search)."""
        ...

    async def create_sales_order(
        self, req: OrderRequest, *, idempotency_key: str | None = None, by: str = ""
    ) -> ReleaseResult:
        """Enter a sales order; the answer is the automatic release's result."""
        ...

    async def release_order(
        self,
        number: str,
        *,
        items: Sequence[str] | None = None,
        with_stock: bool = True,
        by: str = "",
        why: str = "",
    ) -> ReleaseResult:
        """Release the credit of an order's blocked rows (then stock, unless told not to)."""
        ...

    async def release_order_stock(
        self, number: str, *, items: Sequence[str] | None = None, by: str = "", why: str = ""
    ) -> ReleaseResult:
        """Re-evaluate stock of an order's stock-blocked rows."""
        ...

    async def reject_order(
        self, number: str, *, items: Sequence[str] | None = None, by: str = "", why: str = ""
    ) -> ReleaseResult:
        """Reject (09) an order's blocked rows."""
        ...

    async def hold_stock(
        self, number: str, *, items: Sequence[str] | None = None, by: str = "", why: str = ""
    ) -> ReleaseResult:
        """Block by hand (stock 03) an order's released, not invoiced rows."""
        ...

    async def reverse_release(
        self, number: str, *, items: Sequence[str] | None = None, by: str = "", why: str = ""
    ) -> ReleaseResult:
        """Reverse (05) an order's released, not invoiced rows."""
        ...

    async def release_customer(
        self, code: str, store: str, *, up_to: Decimal | None = None, by: str = "", why: str = ""
    ) -> list[ReleaseResult]:
        """Release a customer's credit-blocked orders, oldest first, up to an amount."""
        ...

    async def reject_customer(
        self, code: str, store: str, *, by: str = "", why: str = ""
    ) -> list[ReleaseResult]:
        """Reject every credit-blocked order of a customer."""
        ...

    async def invoice(self, number: str) -> InvoiceResult:
        """Invoice an order's released rows."""
        ...

    async def register_promise(
        self, req: PromiseRequest, *, idempotency_key: str | None = None
    ) -> PromiseResult:
        """Record a promise to pay on the customer's titles."""
        ...

    async def overdue_titles(self, *, min_days: int = 1) -> list[CollectionItem]:
        """Overdue titles for collection (open promises excluded, broken ones flagged)."""
        ...

    async def open_service_ticket(
        self, req: TicketRequest, *, idempotency_key: str | None = None
    ) -> TicketResult:
        """Open a service call."""
        ...

    async def update_service_ticket(self, number: str, update: TicketUpdate) -> TicketResult:
        """Note, work order, visit or close on a ticket."""
        ...

    async def changes(self, after: int = 0, limit: int = 500) -> list[Change]:
        """Changes after sequence ``after``, oldest first (for a customer-view cache)."""
        ...

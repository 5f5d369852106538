"""The records of the embedded ERP. Flat dataclasses; ``KEY`` names the identifying fields.

Plain English names; the Protheus field each one maps onto is in the comment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from erp_bridge.domain.money import ZERO

# Credit block codes (C9_BLCRED) and stock block codes (C9_BLEST).
RELEASED = ""
CREDIT = "01"
LIMIT_EXPIRED = "04"
REVERSED = "05"
REJECTED = "09"
INVOICED = "10"
NO_STOCK = "02"
STOCK_BY_HAND = "03"


@dataclass
class Customer:
    """SA1: a customer store (code + store) with its credit data and kept balances."""

    KEY: ClassVar[tuple[str, ...]] = ("code", "store")
    code: str  # A1_COD
    store: str  # A1_LOJA
    name: str  # A1_NOME
    tax_id: str  # A1_CGC (digits)
    phone: str = ""  # A1_TEL, E.164
    phone2: str = ""
    seller: str = ""  # A1_VEND
    risk: str = "C"  # A1_RISCO A..E
    size_class: str = "B"  # A1_CLASSE A/B/C
    credit_limit: Decimal = ZERO  # A1_LC
    credit_limit_expiry: date | None = None  # A1_VENCLC
    blocked: bool = False  # A1_MSBLQL
    payment_terms: str = "001"  # A1_COND
    open_receivables: Decimal = ZERO  # A1_SALDUP
    open_orders: Decimal = ZERO  # A1_SALPED
    released_orders: Decimal = ZERO  # A1_SALPEDL
    credit_blocked_orders: Decimal = ZERO  # A1_SALPEDB
    largest_purchase: Decimal = ZERO  # A1_MCOMPRA
    largest_title: Decimal = ZERO  # A1_MAIDUPL
    average_days_late: Decimal = ZERO  # A1_METR
    paid_titles: int = 0  # titles that entered the average
    protested_titles: int = 0  # A1_TITPROT
    returned_cheques: int = 0  # A1_CHQDEVO
    first_purchase: date | None = None  # A1_PRICOM
    last_purchase: date | None = None  # A1_ULTCOM


@dataclass
class Product:
    """SB1: ``kind`` is ``manufactured`` or ``bought``."""

    KEY: ClassVar[tuple[str, ...]] = ("code",)
    code: str  # B1_COD
    description: str  # B1_DESC
    kind: str = "bought"
    unit: str = "UN"
    list_price: Decimal = ZERO  # B1_PRV1


@dataclass
class BomLine:
    """SG1: one component of a manufactured product's bill of materials."""

    KEY: ClassVar[tuple[str, ...]] = ("product", "component")
    product: str
    component: str
    quantity: Decimal


@dataclass
class Stock:
    """SB2: one product in one warehouse."""

    KEY: ClassVar[tuple[str, ...]] = ("product", "warehouse")
    product: str
    warehouse: str
    on_hand: Decimal = ZERO  # B2_QATU
    reserved: Decimal = ZERO  # B2_RESERVA (manual reservations)
    allocated: Decimal = ZERO  # B2_QEMP... allocated to released orders
    incoming: Decimal = ZERO  # B2_SALPEDI (production / purchase on the way)
    in_sales_orders: Decimal = ZERO  # B2_QPEDVEN

    def available(self, own_reservation: Decimal = ZERO) -> Decimal:
        """On hand - reserved - allocated, plus the asking item's own reservation."""
        return self.on_hand - self.reserved - self.allocated + own_reservation


@dataclass
class PaymentTerms:
    """SE4: ``days`` like ``30,60,90`` (E4_COND): one installment per entry."""

    KEY: ClassVar[tuple[str, ...]] = ("code",)
    code: str
    description: str
    days: str = "0"

    def installment_days(self) -> list[int]:
        """The due offsets in days, one per installment."""
        return [int(part) for part in self.days.split(",") if part.strip()] or [0]


@dataclass
class OperationType:
    """SF4 (TES): does the operation create receivables, does it move stock."""

    KEY: ClassVar[tuple[str, ...]] = ("code",)
    code: str
    description: str
    creates_receivable: bool = True  # F4_DUPLIC
    moves_stock: bool = True  # F4_ESTOQUE


@dataclass
class SalesOrder:
    """SC5: ``release_mode`` ``item`` (per item) or ``whole`` (the whole order at once)."""

    KEY: ClassVar[tuple[str, ...]] = ("number",)
    number: str  # C5_NUM
    customer_code: str
    customer_store: str
    issued: date
    payment_terms: str
    release_mode: str = "item"
    allow_partial: bool = True
    origin: str = "televendas"
    seller: str = ""
    status: str = "open"


@dataclass
class OrderItem:
    """SC6: quantities released (both blocks blank), invoiced and rejected are kept."""

    KEY: ClassVar[tuple[str, ...]] = ("order", "item")
    order: str
    item: str  # C6_ITEM "01"
    product: str
    quantity: Decimal
    unit_price: Decimal
    value: Decimal
    operation: str
    warehouse: str
    delivery_date: date  # C6_ENTREG
    released_qty: Decimal = ZERO  # C6_QTDEMP
    invoiced_qty: Decimal = ZERO  # C6_QTDENT
    rejected_qty: Decimal = ZERO
    reserved_qty: Decimal = ZERO  # C6_QTDRESE
    production: str = ""  # created / not_needed / credit_blocked


@dataclass
class ReleaseRow:
    """SC9: one release attempt of part of an item, with its credit and stock blocks."""

    KEY: ClassVar[tuple[str, ...]] = ("id",)
    id: str
    order: str
    item: str
    sequence: int
    product: str
    quantity: Decimal
    value: Decimal
    credit_block: str  # C9_BLCRED
    stock_block: str  # C9_BLEST
    evaluated_on: date
    invoice: str = ""

    @property
    def released(self) -> bool:
        """Both blocks blank: ready to invoice."""
        return self.credit_block == RELEASED and self.stock_block == RELEASED

    @property
    def waiting(self) -> bool:
        """Blocked by credit or stock and still open (not rejected, not invoiced)."""
        return not self.released and self.credit_block not in (REJECTED, INVOICED, REVERSED)


@dataclass
class Invoice:
    """SF2: output document header."""

    KEY: ClassVar[tuple[str, ...]] = ("series", "number")
    series: str
    number: str
    customer_code: str
    customer_store: str
    order: str
    issued: date
    total: Decimal


@dataclass
class InvoiceItem:
    """SD2: one invoiced release row (``release_id`` is unique: never invoiced twice)."""

    KEY: ClassVar[tuple[str, ...]] = ("release_id",)
    release_id: str
    series: str
    number: str
    order: str
    item: str
    product: str
    warehouse: str
    quantity: Decimal
    value: Decimal


@dataclass
class Receivable:
    """SE1: one installment of an invoice (``prefix`` = series, ``number`` = invoice)."""

    KEY: ClassVar[tuple[str, ...]] = ("prefix", "number", "installment")
    prefix: str
    number: str
    installment: str
    customer_code: str
    customer_store: str
    issued: date
    due: date
    value: Decimal
    balance: Decimal
    order: str = ""
    status: str = "open"  # open / paid
    protested: bool = False

    @property
    def ref(self) -> str:
        """``prefix-number-installment``, the title as people write it."""
        return f"{self.prefix}-{self.number}-{self.installment}"


@dataclass
class Payment:
    """SE5: money received on a title."""

    KEY: ClassVar[tuple[str, ...]] = ("id",)
    id: str
    prefix: str
    number: str
    installment: str
    paid_on: date
    amount: Decimal


@dataclass
class Promise:
    """A negotiated promise to pay ``amount`` by ``promised_on`` on some titles."""

    KEY: ClassVar[tuple[str, ...]] = ("id",)
    id: str
    customer_code: str
    customer_store: str
    made_on: date
    promised_on: date
    amount: Decimal
    status: str = "open"  # open / kept / broken
    operator: str = ""


@dataclass
class PromiseTitle:
    """A title covered by a promise."""

    KEY: ClassVar[tuple[str, ...]] = ("promise", "prefix", "number", "installment")
    promise: str
    prefix: str
    number: str
    installment: str


@dataclass
class ProductionOrder:
    """SC2: made by the production run for a released item short of stock."""

    KEY: ClassVar[tuple[str, ...]] = ("number",)
    number: str
    product: str
    warehouse: str
    quantity: Decimal
    order: str
    item: str
    created_on: date
    status: str = "open"


@dataclass
class ProductionComponent:
    """SD4: a component required by a production order (bill of materials exploded)."""

    KEY: ClassVar[tuple[str, ...]] = ("production_order", "component")
    production_order: str
    component: str
    quantity: Decimal


@dataclass
class InstalledBase:
    """AA3: a product with a serial number installed at a customer."""

    KEY: ClassVar[tuple[str, ...]] = ("product", "serial")
    product: str
    serial: str
    customer_code: str
    customer_store: str
    installed_on: date | None = None


@dataclass
class ServiceTicket:
    """AB1/AB2: a service call, open → closed; may become a work order."""

    KEY: ClassVar[tuple[str, ...]] = ("number",)
    number: str
    customer_code: str
    customer_store: str
    product: str
    serial: str
    description: str
    opened_on: date
    status: str = "open"
    closed_on: date | None = None
    work_order: str = ""
    notes: str = ""


@dataclass
class WorkOrder:
    """AB6: open → attended → closed, with parts and services and technician visits."""

    KEY: ClassVar[tuple[str, ...]] = ("number",)
    number: str
    ticket: str
    customer_code: str
    customer_store: str
    opened_on: date
    status: str = "open"
    sales_order: str = ""


@dataclass
class WorkOrderLine:
    """AB7/AB8: a part or a service on a work order."""

    KEY: ClassVar[tuple[str, ...]] = ("work_order", "line")
    work_order: str
    line: str
    kind: str  # part / service
    product: str
    quantity: Decimal
    unit_price: Decimal


@dataclass
class Visit:
    """AB9: a technician's visit for a work order."""

    KEY: ClassVar[tuple[str, ...]] = ("id",)
    id: str
    work_order: str
    technician: str
    started_at: datetime
    ended_at: datetime | None = None
    closed: bool = False


@dataclass
class Sequence:
    """The last number given for a document kind (orders, invoices, ...)."""

    KEY: ClassVar[tuple[str, ...]] = ("name",)
    name: str
    value: int = 0


ENTITIES: tuple[type, ...] = (
    Customer,
    Product,
    BomLine,
    Stock,
    PaymentTerms,
    OperationType,
    SalesOrder,
    OrderItem,
    ReleaseRow,
    Invoice,
    InvoiceItem,
    Receivable,
    Payment,
    Promise,
    PromiseTitle,
    ProductionOrder,
    ProductionComponent,
    InstalledBase,
    ServiceTicket,
    WorkOrder,
    WorkOrderLine,
    Visit,
    Sequence,
)

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
    secondary_limit: Decimal = ZERO  # A1_LCFIN: open receivables + order at most this (0: off)
    limit_currency: int = 1  # A1_MOEDALC: currency of both limits (1 = the site's own)
    blocked: bool = False  # A1_MSBLQL
    payment_terms: str = "001"  # A1_COND
    price_table: str = ""  # A1_TABELA
    open_receivables: Decimal = ZERO  # A1_SALDUP
    open_orders: Decimal = ZERO  # A1_SALPED
    released_orders: Decimal = ZERO  # A1_SALPEDL
    credit_blocked_orders: Decimal = ZERO  # A1_SALPEDB
    largest_purchase: Decimal = ZERO  # A1_MCOMPRA
    largest_title: Decimal = ZERO  # A1_MAIDUPL
    average_days_late: Decimal = ZERO  # A1_METR
    largest_delay: int = 0  # A1_MATR: most days a title was paid late
    paid_titles: int = 0  # titles that entered the average
    protested_titles: int = 0  # A1_TITPROT
    returned_cheques: int = 0  # A1_CHQDEVO
    first_purchase: date | None = None  # A1_PRICOM
    last_purchase: date | None = None  # A1_ULTCOM


@dataclass
class CustomerContact:
    """SU5 (linked by AC8): a person to talk to at a customer store, with a phone."""

    KEY: ClassVar[tuple[str, ...]] = ("customer_code", "customer_store", "name")
    customer_code: str
    customer_store: str
    name: str  # U5_CONTAT
    role: str = ""  # U5_FUNCAO
    phone: str = ""  # U5_FONE, E.164
    email: str = ""  # U5_EMAIL


@dataclass
class Product:
    """SB1: ``kind`` is ``manufactured`` (made in-house, B1_FANTASM/B1_TIPO PA) or ``bought``."""

    KEY: ClassVar[tuple[str, ...]] = ("code",)
    code: str  # B1_COD
    description: str  # B1_DESC
    kind: str = "bought"
    unit: str = "UN"  # B1_UM
    list_price: Decimal = ZERO  # B1_PRV1
    warehouse: str = "01"  # B1_LOCPAD: the warehouse an order takes it from by default


@dataclass
class PriceTable:
    """DA0: a price table valid from one date to another."""

    KEY: ClassVar[tuple[str, ...]] = ("code",)
    code: str  # DA0_CODTAB
    description: str  # DA0_DESCRI
    valid_from: date  # DA0_DATDE
    valid_to: date | None = None  # DA0_DATATE (None: no end)

    def valid_on(self, day: date) -> bool:
        """The table may price orders on ``day``."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass
class PriceTableItem:
    """DA1: a product's price in a table, with the table's discount for it."""

    KEY: ClassVar[tuple[str, ...]] = ("table", "product")
    table: str
    product: str
    price: Decimal  # DA1_PRCVEN
    discount_percent: Decimal = ZERO  # DA1_PERDES


@dataclass
class StockEntry:
    """SD1 (header SF1): one item of an input document (documento de entrada) adding stock."""

    KEY: ClassVar[tuple[str, ...]] = ("document", "item")
    document: str  # D1_DOC (with the series, as the site writes it)
    item: str  # D1_ITEM
    product: str
    warehouse: str
    quantity: Decimal
    entered_on: date  # D1_DTDIGIT
    supplier: str = ""  # D1_FORNECE


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
    price_table: str = ""  # C5_TABELA


@dataclass
class OrderItem:
    """SC6: quantities released (both blocks blank), invoiced and rejected are kept."""

    KEY: ClassVar[tuple[str, ...]] = ("order", "item")
    order: str
    item: str  # C6_ITEM "01"
    product: str
    quantity: Decimal
    unit_price: Decimal  # C6_PRUNIT, before the discount
    value: Decimal  # C6_VALOR: quantity x unit price in cents, less the discount
    operation: str
    warehouse: str
    delivery_date: date  # C6_ENTREG
    discount: Decimal = ZERO  # C6_VALDESC: money off the line, in cents
    discount_percent: Decimal = ZERO  # C6_DESCONT: the percentage asked, when given so
    released_qty: Decimal = ZERO  # C6_QTDEMP
    invoiced_qty: Decimal = ZERO  # C6_QTDENT
    rejected_qty: Decimal = ZERO
    reserved_qty: Decimal = ZERO  # C6_QTDRESE
    production: str = ""  # created / not_needed / credit_blocked


@dataclass
class OrderEvent:
    """The order's history: who released, rejected, reversed or blocked it, when and why, and
    what each automatic analysis decided."""

    KEY: ClassVar[tuple[str, ...]] = ("id",)
    id: str
    order: str
    at: datetime
    action: str  # entered / released / stock_released / rejected / reversed / stock_held / ...
    by: str  # the user (blank for the ERP's own analysis)
    why: str  # the user's note, or the rule that decided
    status: str  # the order's status afterwards
    items: str = ""  # item numbers, comma-separated; blank = every item


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
    status: str = "open"  # open / partly_done / done
    completed: Decimal = ZERO  # C2_QUJE: made so far


@dataclass
class ProductionComponent:
    """SD4: a component required by a production order (bill of materials exploded), its
    reservation (empenho) in the component's stock and what was consumed."""

    KEY: ClassVar[tuple[str, ...]] = ("production_order", "component")
    production_order: str
    component: str
    quantity: Decimal
    reserved: Decimal = ZERO  # D4_QUANT still reserved in the component's stock
    consumed: Decimal = ZERO


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
class Parameter:
    """SX6: one credit parameter of a site (``MV_CREDCLI``...), as text."""

    KEY: ClassVar[tuple[str, ...]] = ("site", "name")
    site: str
    name: str
    value: str


@dataclass
class ParameterChange:
    """Who changed a site's parameter, when, from what to what."""

    KEY: ClassVar[tuple[str, ...]] = ("id",)
    id: str
    site: str
    name: str
    old: str
    new: str
    by: str
    at: datetime


@dataclass
class Sequence:
    """The last number given for a document kind (orders, invoices, ...)."""

    KEY: ClassVar[tuple[str, ...]] = ("name",)
    name: str
    value: int = 0


ENTITIES: tuple[type, ...] = (
    Customer,
    CustomerContact,
    Product,
    PriceTable,
    PriceTableItem,
    StockEntry,
    BomLine,
    Stock,
    PaymentTerms,
    OperationType,
    SalesOrder,
    OrderItem,
    OrderEvent,
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
    Parameter,
    ParameterChange,
    Sequence,
)

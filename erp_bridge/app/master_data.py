"""A site's master data as rows (the API's JSON and the import files share them): customers,
contacts, products, bills of materials, stock balances, input documents, operation types,
payment terms, price tables and their prices, open receivables from the legacy books.

Each kind has a row model (checked field by field, so a bad row names its bad fields) and
turns into the core's record. Empty cells count as absent (the default applies).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from erp_bridge.domain import entities as e
from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.money import MAX_AMOUNT, MAX_QUANTITY
from erp_bridge.domain.phones import normalize_phone
from erp_bridge.domain.taxid import normalize_tax_id


def _yes_no(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("s", "sim", "y", "yes", "t", "true", "1", "x"):
            return True
        if text in ("n", "nao", "não", "no", "f", "false", "0"):
            return False
    return value


def _phone(value: Any) -> Any:
    if isinstance(value, str) and value.strip():
        try:
            return normalize_phone(value)
        except ErpError as err:
            raise ValueError(err.message) from None
    return value


def _tax_id(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return normalize_tax_id(value)
        except ErpError as err:
            raise ValueError(err.message) from None
    return value


def _text(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a spreadsheet's number in a code column
    return str(value).strip() if isinstance(value, (int, str)) else value


def _decimal(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(value))  # a spreadsheet's number, as it shows
    if isinstance(value, str):
        return value.strip().replace(" ", "")
    return value


Code = Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=20)]
Text = Annotated[str, BeforeValidator(_text), Field(max_length=200)]
Flag = Annotated[bool, BeforeValidator(_yes_no)]
Phone = Annotated[str, BeforeValidator(_phone), Field(max_length=20)]
Money = Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0, le=MAX_AMOUNT, decimal_places=2)]
Quantity = Annotated[
    Decimal, BeforeValidator(_decimal), Field(gt=0, le=MAX_QUANTITY, decimal_places=4)
]
Percent = Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0, lt=100, decimal_places=2)]


class Row(BaseModel):
    """A row: unknown columns refused, empty cells absent."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _drop_empty(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v is not None and v != ""}
        return data


class CustomerRow(Row):
    """SA1: a customer store with its credit data (balances are the ERP's own)."""

    code: Code
    store: Code
    name: Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=200)]
    tax_id: Annotated[str, BeforeValidator(_tax_id)]
    phone: Phone = ""
    phone2: Phone = ""
    seller: Text = ""
    risk: Annotated[str, Field(pattern="^[A-E]$")] = "C"
    size_class: Annotated[str, Field(pattern="^[ABC]$")] = "B"
    credit_limit: Money = Decimal(0)
    credit_limit_expiry: date | None = None
    secondary_limit: Money = Decimal(0)
    limit_currency: Annotated[int, Field(ge=1, le=5)] = 1
    blocked: Flag = False
    payment_terms: Code = "001"
    price_table: Text = ""


class ContactRow(Row):
    """SU5: a person at a customer store."""

    customer_code: Code
    customer_store: Code
    name: Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=200)]
    role: Text = ""
    phone: Phone = ""
    email: Annotated[str, Field(max_length=200, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")] = ""


class ProductRow(Row):
    """SB1: ``in_house`` products are made here (production orders, bill of materials)."""

    code: Code
    description: Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=200)]
    in_house: Flag = False
    unit: Annotated[str, Field(min_length=1, max_length=4)] = "UN"
    warehouse: Code = "01"
    list_price: Money = Decimal(0)


class BomRow(Row):
    """SG1: ``quantity`` of ``component`` goes into one ``product``."""

    product: Code
    component: Code
    quantity: Quantity

    @model_validator(mode="after")
    def _not_itself(self) -> BomRow:
        if self.component == self.product:
            raise ValueError("a product cannot be its own component")
        return self


class StockRow(Row):
    """SB2: the quantity on hand of a product in a warehouse (a count, replacing the last)."""

    product: Code
    warehouse: Code = "01"
    on_hand: Annotated[
        Decimal, BeforeValidator(_decimal), Field(ge=0, le=MAX_QUANTITY, decimal_places=4)
    ]


class StockEntryRow(Row):
    """SD1: an input document's item adding stock (entered once per document and item)."""

    document: Code
    item: Code = "0001"
    product: Code
    warehouse: Code = "01"
    quantity: Quantity
    entered_on: date
    supplier: Text = ""


class OperationRow(Row):
    """SF4 (TES)."""

    code: Code
    description: Text
    creates_receivable: Flag = True
    moves_stock: Flag = True


class PaymentTermsRow(Row):
    """SE4: ``days`` like ``30,60,90``."""

    code: Code
    description: Text
    days: Annotated[str, BeforeValidator(_text), Field(pattern=r"^\d{1,4}(,\d{1,4}){0,47}$")]


class PriceTableRow(Row):
    """DA0: a price table and its validity."""

    code: Code
    description: Text
    valid_from: date
    valid_to: date | None = None

    @model_validator(mode="after")
    def _dates(self) -> PriceTableRow:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self


class PriceRow(Row):
    """DA1: a product's price in a table and its discount."""

    table: Code
    product: Code
    price: Annotated[
        Decimal, BeforeValidator(_decimal), Field(gt=0, le=MAX_AMOUNT, decimal_places=2)
    ]
    discount_percent: Percent = Decimal(0)


class ReceivableRow(Row):
    """SE1: an open title from the site's legacy books."""

    prefix: Code
    number: Code
    installment: Annotated[str, BeforeValidator(_text), Field(max_length=3)] = ""
    customer_code: Code
    customer_store: Code
    issued: date
    due: date
    value: Annotated[
        Decimal, BeforeValidator(_decimal), Field(gt=0, le=MAX_AMOUNT, decimal_places=2)
    ]
    balance: Money

    @model_validator(mode="after")
    def _balance(self) -> ReceivableRow:
        if self.balance > self.value:
            raise ValueError("balance is more than the value")
        if self.due < self.issued:
            raise ValueError("due is before issued")
        return self


def _customer(r: CustomerRow) -> e.Customer:
    return e.Customer(**r.model_dump())


def _product(r: ProductRow) -> e.Product:
    kind = "manufactured" if r.in_house else "bought"
    return e.Product(r.code, r.description, kind, r.unit, r.list_price, r.warehouse)


def _receivable(r: ReceivableRow) -> e.Receivable:
    status = "open" if r.balance > 0 else "paid"
    return e.Receivable(
        r.prefix,
        r.number,
        r.installment,
        r.customer_code,
        r.customer_store,
        r.issued,
        r.due,
        r.value,
        r.balance,
        status=status,
    )


@dataclass(frozen=True)
class Kind:
    """A kind of master data: its row model and how a row becomes a record."""

    name: str
    row: type[Row]
    record: Callable[[Any], Any]


def _plain(cls: type) -> Callable[[Any], Any]:
    return lambda r: cls(**r.model_dump())


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("operations", OperationRow, _plain(e.OperationType)),
        Kind("payment_terms", PaymentTermsRow, _plain(e.PaymentTerms)),
        Kind("products", ProductRow, _product),
        Kind("bom", BomRow, _plain(e.BomLine)),
        Kind("price_tables", PriceTableRow, _plain(e.PriceTable)),
        Kind("prices", PriceRow, _plain(e.PriceTableItem)),
        Kind("customers", CustomerRow, _customer),
        Kind("contacts", ContactRow, _plain(e.CustomerContact)),
        Kind("stock", StockRow, _plain(e.Stock)),
        Kind("stock_entries", StockEntryRow, _plain(e.StockEntry)),
        Kind("receivables", ReceivableRow, _receivable),
    )
}
"""The kinds in the order a new site loads them (references first)."""

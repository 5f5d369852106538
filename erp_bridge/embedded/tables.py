"""SQL tables of the embedded ERP, one per record type of the core (``erp_`` prefix).

Columns follow the dataclass fields; the Alembic migration ``erp_0001`` freezes them
(``tests/erp/test_migrations.py`` checks they still match).
"""

from __future__ import annotations

import dataclasses
import re
import typing
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from erp_bridge.domain import entities as e

erp_metadata = sa.MetaData()


class Amount(sa.types.TypeDecorator[Decimal]):
    """Decimal money or quantity: NUMERIC(18,4) on PostgreSQL, exact text on SQLite."""

    impl = sa.Numeric(18, 4)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String(40))
        return dialect.type_descriptor(sa.Numeric(18, 4))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else amount(value)


def amount(value: Any) -> Decimal:
    """A stored amount as the core gets it: without trailing zeros (``5.0000`` is ``5``)."""
    number = Decimal(value)
    return (
        number.quantize(Decimal(1)) if number == number.to_integral_value() else number.normalize()
    )


def _column_type(hint: Any) -> sa.types.TypeEngine[Any]:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    base = args[0] if args else hint
    if base is str:
        return sa.String(200)
    if base is Decimal:
        return Amount()
    if base is bool:
        return sa.Boolean()
    if base is int:
        return sa.Integer()
    if base is datetime:
        return sa.DateTime(timezone=True)
    if base is date:
        return sa.Date()
    raise TypeError(f"no column type for {hint!r}")


def table_name(cls: type) -> str:
    """``erp_`` + snake_case of the record type."""
    return "erp_" + re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()


def _table(cls: type) -> sa.Table:
    hints = typing.get_type_hints(cls)
    columns = []
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        nullable = type(None) in typing.get_args(hint)
        columns.append(
            sa.Column(f.name, _column_type(hint), primary_key=f.name in cls.KEY, nullable=nullable)  # type: ignore[attr-defined]
        )
    return sa.Table(table_name(cls), erp_metadata, *columns)


TABLES: dict[type, sa.Table] = {cls: _table(cls) for cls in e.ENTITIES}

_INDEXES = [
    (e.Customer, ("phone",)),
    (e.Customer, ("phone2",)),
    (e.Customer, ("tax_id",)),
    (e.CustomerContact, ("phone",)),
    (e.SalesOrder, ("customer_code", "customer_store")),
    (e.ReleaseRow, ("order",)),
    (e.OrderEvent, ("order",)),
    (e.Receivable, ("customer_code", "customer_store")),
    (e.Receivable, ("status", "due")),
    (e.Payment, ("prefix", "number", "installment")),
    (e.Promise, ("customer_code", "customer_store")),
    (e.PromiseTitle, ("prefix", "number", "installment")),
    (e.ServiceTicket, ("customer_code", "customer_store")),
]
for _cls, _cols in _INDEXES:
    _t = TABLES[_cls]
    sa.Index(f"ix_{_t.name}_{'_'.join(_cols)}", *(_t.c[c] for c in _cols))

idempotency = sa.Table(
    "erp_idempotency",
    erp_metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("operation", sa.String(64), nullable=False),
    sa.Column("result", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

changes = sa.Table(
    "erp_changes",
    erp_metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("customer_code", sa.String(200), nullable=False),
    sa.Column("customer_store", sa.String(200), nullable=False),
    sa.Column("ref", sa.String(200), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)

SEQUENCES = ("order", "invoice", "production", "ticket", "work_order")

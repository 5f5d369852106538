"""A batch of orders on PostgreSQL, run on the asyncpg connection under the batches'
SQLAlchemy connection: its reads in two statements, as SQL text built once from the tables
(values bound as arrays, so the text does not depend on the batch and one prepared statement
serves every batch), their rows turned into the core's records, and its writes sent with the
commit in one round trip (:func:`write_then`).

- :data:`HEAD` (one per credit scope): the reference stamp, one order number per order, the
  stored answers of the batch's idempotency keys and the batch's customer rows, locked in key
  order (every store of their codes under scope ``all``);
- :data:`LOADS`: after that lock, in a statement of its own (a statement reads other tables
  as they were when it began: titles read with the lock would miss a payment or an invoice
  committed by the transaction it waited for), the open titles of the customers locked, the
  orders' products with their stock rows in each product's own warehouse, locked in key order,
  and the products without such a row.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from erp_bridge.domain import entities as e
from erp_bridge.embedded.tables import TABLES, Amount, amount
from erp_bridge.embedded.uow import STAMP, UnitOfWork

_DIALECT: Dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
_q = _DIALECT.identifier_preparer.quote
_PRECISION = re.compile(r"\(.*?\)")


def _names(cls: type) -> list[str]:
    return [c.name for c in TABLES[cls].c]


def _columns(cls: type, alias: str, prefix: str = "") -> str:
    """``alias.col AS prefix_col, ...`` in field order (``AS`` only with a prefix)."""
    return ", ".join(
        f"{alias}.{_q(n)} AS {_q(prefix + n)}" if prefix else f"{alias}.{_q(n)}"
        for n in _names(cls)
    )


def _nulls(cls: type) -> str:
    """A typed NULL for each column of ``cls`` (the other arms' columns in a ``UNION ALL``)."""
    return ", ".join(
        f"NULL::{_PRECISION.sub('', c.type.compile(dialect=_DIALECT))}" for c in TABLES[cls].c
    )


@dataclass(frozen=True)
class Slice:
    """The columns of one record type in a row, from ``start``: their values as the table's
    column types give them (amounts as :class:`~erp_bridge.embedded.tables.Amount` returns
    them), or None where the row has none (the other side of an outer join or union)."""

    start: int
    stop: int
    amounts: tuple[int, ...]  # positions of the amount columns, from ``start``

    @classmethod
    def of(cls, record: type, start: int) -> Slice:
        columns = TABLES[record].c
        spots = tuple(n for n, c in enumerate(columns) if isinstance(c.type, Amount))
        return cls(start, start + len(columns), spots)

    def values(self, row: Sequence[Any]) -> tuple[Any, ...] | None:
        values = list(row[self.start : self.stop])
        if values[0] is None:  # every record's first column is part of its key
            return None
        for n in self.amounts:
            if values[n] is not None:
                values[n] = amount(values[n])
        return tuple(values)


def _head(customers: str) -> str:
    c = TABLES[e.Customer].name
    return (
        "SELECT h.stamp, h.numbers, h.answers, " + _columns(e.Customer, "c") + " FROM (SELECT"
        f" (SELECT value FROM erp_sequence WHERE name = '{STAMP}') AS stamp,"
        " (SELECT array_agg(nextval('erp_order_seq')) FROM generate_series(1, $1::integer))"
        " AS numbers,"
        " (SELECT array_agg(ARRAY[key::text, result]) FROM erp_idempotency"
        " WHERE key = ANY($2::text[])) AS answers) AS h"
        f" LEFT JOIN LATERAL (SELECT {_columns(e.Customer, c)} FROM {customers}"
        f" ORDER BY {c}.code, {c}.store FOR UPDATE OF {c}) AS c ON true"
    )


#: parameters: the number of orders, the keys, then the customers' codes (and stores)
HEAD: dict[str, str] = {
    "store": _head(
        "unnest($3::text[], $4::text[]) AS k (code, store) JOIN erp_customer"
        " ON erp_customer.code = k.code AND erp_customer.store = k.store"
    ),
    "all": _head("unnest($3::text[]) AS k (code) JOIN erp_customer ON erp_customer.code = k.code"),
}
HEAD_CUSTOMER = Slice.of(e.Customer, 3)


def _loads() -> str:
    s, p, r = (TABLES[x].name for x in (e.Stock, e.Product, e.Receivable))
    stock = ", ".join(f"x.{_q('s_' + n)}" for n in _names(e.Stock))
    product = ", ".join(f"x.{_q('p_' + n)}" for n in _names(e.Product))
    return (
        f"SELECT 1, {stock}, {product}, {_nulls(e.Receivable)} FROM"
        f" (SELECT {_columns(e.Stock, s, 's_')}, {_columns(e.Product, p, 'p_')}"
        f" FROM unnest($1::text[]) AS k (code) JOIN {s} ON {s}.product = k.code"
        f" JOIN {p} ON {p}.code = {s}.product AND {p}.warehouse = {s}.warehouse"
        f" ORDER BY {s}.product, {s}.warehouse FOR UPDATE OF {s}) AS x"
        f" UNION ALL SELECT 2, {_nulls(e.Stock)}, {_columns(e.Product, p)}, {_nulls(e.Receivable)}"
        f" FROM {p} WHERE {p}.code = ANY($1::text[]) AND NOT EXISTS (SELECT FROM {s}"
        f" WHERE {s}.product = {p}.code AND {s}.warehouse = {p}.warehouse)"
        f" UNION ALL SELECT 3, {_nulls(e.Stock)}, {_nulls(e.Product)}, {_columns(e.Receivable, r)}"
        f" FROM unnest($2::text[], $3::text[]) AS k (code, store) JOIN {r}"
        f" ON {r}.customer_code = k.code AND {r}.customer_store = k.store"
        f" WHERE {r}.status = 'open'"
    )


#: parameters: the products' codes, then the locked customers' codes and stores
LOADS = _loads()
LOADS_STOCK = Slice.of(e.Stock, 1)
LOADS_PRODUCT = Slice.of(e.Product, LOADS_STOCK.stop)
LOADS_TITLE = Slice.of(e.Receivable, LOADS_PRODUCT.stop)


async def read_head(
    uow: UnitOfWork,
    driver: Any,
    scope: str,
    orders: int,
    keys: list[str],
    pairs: list[tuple[str, str]],
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Run :data:`HEAD` on ``driver`` (the asyncpg connection under ``uow.conn``) for
    ``orders`` orders of the customers ``pairs`` (code, store; every store of their codes
    under ``scope`` ``all``): ``uow.stamp`` and ``uow.drawn`` set, the customers in the books.
    Returns the stored answers by key and the customers locked."""
    if scope == "all":
        params: tuple[Any, ...] = (orders, keys, sorted({code for code, _ in pairs}))
    else:
        params = (orders, keys, [code for code, _ in pairs], [store for _, store in pairs])
    rows = await driver.fetch(HEAD[_scope(scope)], *params)
    first = rows[0]
    uow.stamp, uow.drawn = first[0], sorted(first[1] or ())
    locked = []
    for row in rows:
        values = HEAD_CUSTOMER.values(row)
        if values is not None:
            found = uow.take_values(e.Customer, values)
            locked.append((found.code, found.store))
    return {key: result for key, result in first[2] or ()}, locked


async def read_loads(
    uow: UnitOfWork, driver: Any, codes: list[str], customers: list[tuple[str, str]]
) -> None:
    """Run :data:`LOADS` on ``driver`` for the products ``codes`` and the (locked)
    ``customers``: their records in the books."""
    params = (codes, [code for code, _ in customers], [store for _, store in customers])
    for row in await driver.fetch(LOADS, *params):
        kind = row[0]
        if kind == 1:
            uow.take_values(e.Stock, _present(LOADS_STOCK.values(row)))
        if kind in (1, 2):
            uow.take_values(e.Product, _present(LOADS_PRODUCT.values(row)))
        else:
            uow.take_values(e.Receivable, _present(LOADS_TITLE.values(row)))


def _scope(scope: str) -> str:
    return "all" if scope == "all" else "store"


def same_scope(a: str, b: str) -> bool:
    """Whether credit scopes ``a`` and ``b`` lock the same customer rows."""
    return _scope(a) == _scope(b)


def _present(values: tuple[Any, ...] | None) -> tuple[Any, ...]:
    assert values is not None  # the arm of the row's kind has its record
    return values


async def write_then(
    conn: AsyncConnection, driver: Any, uow: UnitOfWork, now: datetime, then: str
) -> None:
    """The writes of ``uow`` (:meth:`UnitOfWork.at_once`) and the statements ``then`` (the
    commit and the next begin) in one round trip: a simple query executing the writes'
    statement, prepared on this connection by name (in the same query the first time), its
    values written in as escape string constants."""
    write = uow.at_once(now)
    if write is None:
        await driver.execute(then)
        return
    text, values = write
    name = "erp_w_" + hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:24]
    prepared: set[str] = conn.info.setdefault("erp_prepared", set())
    prepare = "" if name in prepared else f"PREPARE {name} AS {text}; "
    await driver.execute(f"{prepare}EXECUTE {name}({', '.join(map(_literal, values))}); {then}")
    prepared.add(name)


def _literal(text: str) -> str:
    """``text`` as an escape string constant (``E'...'``: read the same whatever
    ``standard_conforming_strings`` says)."""
    return "E'" + text.replace("\\", "\\\\").replace("'", "''") + "'"

"""Unit of work: load the slice of records an operation needs into a
:class:`~erp_bridge.domain.books.Books`, run the core, write back only the changed columns."""

from __future__ import annotations

import dataclasses
import operator
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from erp_bridge.domain import entities as e
from erp_bridge.domain.books import Books, key_of
from erp_bridge.domain.policy import ReleasePolicy
from erp_bridge.embedded.tables import TABLES, changes

T = TypeVar("T")
U = TypeVar("U")

# records a process may keep between transactions: a change to any of them raises the stamp
REFERENCE: tuple[type, ...] = (e.Parameter, e.OperationType, e.PaymentTerms)
STAMP = "reference_data"  # the erp_sequence row holding the stamp
_SEQ = TABLES[e.Sequence]
_BUMP = _SEQ.update().where(_SEQ.c.name == STAMP).values(value=_SEQ.c.value + 1)


class UnitOfWork:
    """One transaction's records. ``lock`` adds ``FOR UPDATE`` to locking loads (PostgreSQL)."""

    def __init__(
        self, conn: AsyncConnection, *, lock: bool, policy: ReleasePolicy | None = None
    ) -> None:
        self.conn = conn
        self.policy = policy or ReleasePolicy()  # the site's rules, read when the work began
        self.books = Books()
        self._lock = lock
        # each record's column values as read (in field order), to find what changed
        self._snap: dict[tuple[type, tuple[Any, ...]], tuple[Any, ...]] = {}
        self._touched: dict[tuple[str, str, str, str], None] = {}
        self._rows: dict[sa.Table, list[dict[str, Any]]] = {}
        self.stamp: int | None = None  # the reference stamp read when the work began
        self.drawn: list[int] = []  # order numbers drawn with the first read, not yet used

    def adopt(self, records: list[Any]) -> None:
        """Add records known to be stored as they are (kept from an earlier transaction whose
        reference stamp is this one's); only later changes to them are written back."""
        for record in records:
            key = key_of(record)
            if self.books.get(type(record), *key) is not None:
                continue
            self.books.add(record)
            self._snap[type(record), key] = _values(record)

    def _take(self, cls: type[T], values: tuple[Any, ...]) -> T:
        """The record of these column values (in field order): the one already in the
        books, else a new one (its snapshot kept to find what changed)."""
        record = cls(*values)
        key = key_of(record)
        existing = self.books.get(cls, *key)
        if existing is not None:
            return existing
        self.books.add(record)
        self._snap[cls, key] = values
        return record

    def take_values(self, cls: type[T], values: tuple[Any, ...]) -> T:
        """The record of these column values as read (in field order, as the table's column
        types give them): the one already in the books, else a new one."""
        return self._take(cls, values)

    async def load_pairs(
        self,
        locked: type[T],
        other: type[U],
        on: Any,
        *where: Any,
        outer: bool = False,
    ) -> tuple[list[T], list[U]]:
        """Records of ``locked`` (in key order, locked) and of ``other`` joined to them
        ``on`` (left outer join when ``outer``), read in one statement. A row of ``locked``
        waited for is read again as committed, its partners are not (they are as the
        statement found them): use it only where ``other`` may be that old (products)."""
        query = pairs_query(locked, other, on, *where, outer=outer, lock=self._lock)
        return await self.take_pairs(locked, other, query)

    async def take_pairs(
        self, locked: type[T], other: type[U], query: Any, params: dict[str, Any] | None = None
    ) -> tuple[list[T], list[U]]:
        """As :meth:`load_pairs`, with a query made by :func:`pairs_query` (once, its values
        bound by ``params``)."""
        split = len(TABLES[locked].c)
        b_key = [split + _FIELDS[other][0].index(k) for k in other.KEY]  # type: ignore[attr-defined]
        found_a: dict[int, T] = {}
        found_b: dict[int, U] = {}
        for row in await self.conn.execute(query, params):
            x = self._take(locked, tuple(row[:split]))
            found_a.setdefault(id(x), x)
            if any(row[k] is not None for k in b_key):
                y = self._take(other, tuple(row[split:]))
                found_b.setdefault(id(y), y)
        return list(found_a.values()), list(found_b.values())

    async def load(self, cls: type[T], *where: Any, lock: bool = False) -> list[T]:
        """Records of ``cls`` matching ``where``; locking loads go in key order."""
        table = TABLES[cls]
        query = sa.select(table).where(*where)
        if lock:
            query = query.order_by(*(table.c[k] for k in cls.KEY))  # type: ignore[attr-defined]
            if self._lock:
                query = query.with_for_update()
        return await self.take(cls, query)

    async def take(self, cls: type[T], query: Any, params: dict[str, Any] | None = None) -> list[T]:
        """Records of ``cls`` read by ``query`` (every column of its table, in order; a query
        made once, its values bound by ``params``)."""
        return [self._take(cls, tuple(row)) for row in await self.conn.execute(query, params)]

    def stored(self, record: Any) -> bool:
        """Whether ``record`` is as it was read from the database in this transaction."""
        before = self._snap.get((type(record), key_of(record)))
        return before is not None and _values(record) == before

    def touch(self, kind: str, customer_code: str, customer_store: str, ref: str) -> None:
        """Note a change for the change feed (written by :meth:`flush`)."""
        self._touched[kind, customer_code, customer_store, ref] = None

    def insert(self, table: sa.Table, row: dict[str, Any]) -> None:
        """A row of a table outside the books (idempotency keys), inserted by :meth:`flush`
        with the records; every row of one table has the same columns."""
        self._rows.setdefault(table, []).append(row)

    async def flush(self, now: datetime) -> None:
        """Insert new records, update changed columns, append the change feed; raise the
        reference stamp when a parameter, operation type or payment term changed. On
        PostgreSQL a small unit of work goes in one statement (each write a data-modifying
        ``WITH``), one round trip instead of one per table."""
        writes, reference_changed = self._writes(now)
        if reference_changed:
            await self.conn.execute(_BUMP)
        if not writes:
            return
        size = sum(len(w.rows) * len(w.columns) for w in writes)
        if self.conn.dialect.name == "postgresql" and len(writes) > 1 and size <= _ONE_STATEMENT:
            await _write_at_once(self.conn, writes)
            return
        for w in writes:
            await w.run(self.conn)

    def at_once(self, now: datetime) -> tuple[str, list[str]] | None:
        """What :meth:`flush` writes, as one PostgreSQL statement (each write a
        data-modifying ``WITH``, the stamp's raise too) with its values (``$1``...: the
        array literals); the text depends only on which tables and columns are written, not
        on the number of rows. None when nothing changed."""
        writes, reference_changed = self._writes(now)
        if not writes and not reference_changed:
            return None
        text = _at_once_text(self.conn.dialect, writes, bump=reference_changed)
        return text, [a for w in writes for a in w.arrays()]

    def _writes(self, now: datetime) -> tuple[list[_Write], bool]:
        """The writes of the changes since the last flush (the books' snapshots moved on to
        them), and whether reference records changed."""
        writes: list[_Write] = []
        reference_changed = False
        for cls in self.books.types():
            table = TABLES[cls]
            names = _FIELDS[cls][0]
            at = {n: i for i, n in enumerate(names)}
            inserts = []
            updates: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
            keys: tuple[str, ...] = cls.KEY  # type: ignore[attr-defined]
            old_keys = tuple(f"key_{k}" for k in keys)
            for key, record in self.books.items(cls).items():
                values = _values(record)
                before = self._snap.get((cls, key))
                if before is None:
                    inserts.append(values)
                elif values != before:
                    pairs = enumerate(zip(values, before, strict=True))
                    changed = [n for n, (v, w) in pairs if v != w]
                    columns = tuple(names[n] for n in changed) + old_keys
                    row = tuple(values[n] for n in changed) + tuple(before[at[k]] for k in keys)
                    updates.setdefault(columns, []).append(row)
                self._snap[cls, key] = values
            writes += [_Write(table, keys, columns, rows) for columns, rows in updates.items()]
            if inserts:
                writes.append(_Write(table, (), names, inserts))
            if (inserts or updates) and cls in REFERENCE:
                reference_changed = True
        if self._touched:
            columns = ("kind", "customer_code", "customer_store", "ref", "at")
            touched = [(*x, now) for x in self._touched]
            writes.append(_Write(changes, (), columns, touched))
            self._touched.clear()
        for table, rows in self._rows.items():
            columns = tuple(rows[0])
            writes.append(_Write(table, (), columns, [tuple(r[c] for c in columns) for r in rows]))
        self._rows.clear()
        return writes, reference_changed


def pairs_query(
    locked: type, other: type, on: Any, *where: Any, outer: bool = False, lock: bool = True
) -> sa.Select[Any]:
    """Every column of ``locked`` then of ``other`` joined ``on``, in ``locked``'s key order,
    ``locked``'s rows locked when ``lock`` (SQLite has no row locks: the clause is left out)."""
    a, b = TABLES[locked], TABLES[other]
    query = (
        sa.select(*(c.label(f"a_{c.name}") for c in a.c), *(c.label(f"b_{c.name}") for c in b.c))
        .select_from(a.join(b, on, isouter=outer))
        .where(*where)
        .order_by(*(a.c[k] for k in locked.KEY))  # type: ignore[attr-defined]
    )
    return query.with_for_update(of=a) if lock else query


# per record type: its field names and a getter of their values, in field order (the order
# of its table's columns)
_FIELDS: dict[type, tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]] = {
    cls: (names, operator.attrgetter(*names))
    for cls in e.ENTITIES
    for names in [tuple(f.name for f in dataclasses.fields(cls))]
}


def _values(record: Any) -> tuple[Any, ...]:
    return _FIELDS[type(record)][1](record)


# values of a unit of work written in one statement on PostgreSQL (one array per column, so
# no limit on bound values applies; larger units of work, e.g. a file import, go per table)
_ONE_STATEMENT = 20_000


@dataclasses.dataclass(frozen=True)
class _Write:
    """Rows to insert in ``table`` (no ``keys``) or changed columns of rows to update (by
    ``keys``, each row's old key values under ``key_<name>``): each row the values of
    ``columns``."""

    table: sa.Table
    keys: tuple[str, ...]
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]

    def _set(self) -> list[str]:
        return [c for c in self.columns if not c.startswith("key_")]

    async def run(self, conn: AsyncConnection) -> None:
        """One statement, run for every row."""
        rows = [dict(zip(self.columns, row, strict=True)) for row in self.rows]
        if not self.keys:
            await conn.execute(self.table.insert(), rows)
            return
        t = self.table
        statement = (
            t.update()
            .where(*(t.c[k] == sa.bindparam(f"key_{k}") for k in self.keys))
            .values({c: sa.bindparam(c) for c in self._set()})
        )
        await conn.execute(statement, rows)

    def shape(self) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
        """What the statement's text depends on (not the number of rows)."""
        return self.table.name, self.keys, self.columns

    def sql(self, dialect: Dialect, values: list[str]) -> str:
        """The statement for every row: the rows as ``unnest`` of one array per column (the
        ``values``, one per column: placeholders such as ``$1`` or literals, each the text
        of an array literal cast to its column's type), inserted, or the update joined to
        them by the old key values. With placeholders the text does not depend on the
        number of rows, so PostgreSQL keeps one prepared statement per shape."""
        q = dialect.identifier_preparer.quote
        t = self.table
        names = self.columns
        # unconstrained casts: the column's own length and precision apply on assignment, as
        # they do to a plain insert (a cast to VARCHAR(200) would cut a longer text)
        types = [
            _PRECISION.sub("", t.c[c.removeprefix("key_")].type.compile(dialect=dialect))
            for c in names
        ]
        arrays = ", ".join(f"{v}::text::{ty}[]" for v, ty in zip(values, types, strict=True))
        columns = ", ".join(map(q, names))
        if not self.keys:
            return f"INSERT INTO {q(t.name)} ({columns}) SELECT * FROM unnest({arrays})"
        sets = ", ".join(f"{q(c)} = v.{q(c)}" for c in self._set())
        where = " AND ".join(f"{q(t.name)}.{q(k)} = v.{q('key_' + k)}" for k in self.keys)
        return f"UPDATE {q(t.name)} SET {sets} FROM unnest({arrays}) AS v ({columns}) WHERE {where}"

    def arrays(self) -> list[str]:
        """The statement's values: one array literal per column (text is far cheaper for the
        driver to send than an array of typed values, each checked and encoded apart)."""
        t = self.table
        return [
            _array_literal(list(values), t.c[c.removeprefix("key_")].type)
            for c, values in zip(self.columns, zip(*self.rows, strict=True), strict=True)
        ]


def _array_literal(values: list[Any], kind: sa.types.TypeEngine[Any]) -> str:
    """``{...}``: text elements quoted and escaped, timestamps in UTC (a naive one taken as
    local time, as the driver takes it), other values (numbers, booleans, dates) as their
    text, ``NULL`` for None."""
    if isinstance(kind, sa.String):
        if None not in values:  # the usual column: joined at once, escaped only if needed
            joined = '","'.join(values)  # no quote or backslash but the separators'
            if "\\" not in joined and joined.count('"') == 2 * (len(values) - 1):
                return '{"' + joined + '"}'
        items = [
            "NULL" if v is None else '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
            for v in values
        ]
    elif isinstance(kind, sa.DateTime):
        items = ["NULL" if v is None else f'"{v.astimezone(UTC).isoformat()}"' for v in values]
    else:
        items = ["NULL" if v is None else str(v) for v in values]
    return "{" + ",".join(items) + "}"


_PRECISION = re.compile(r"\(.*?\)")


_TEXTS: dict[tuple[Any, ...], str] = {}  # statement text by the shapes of its writes


def _at_once_text(dialect: Dialect, writes: list[_Write], *, bump: bool = False) -> str:
    """Every write in one PostgreSQL statement, each a data-modifying ``WITH`` (they touch
    different rows, so none needs to see another's effect), values numbered from ``$1``;
    with ``bump`` the reference stamp is raised in it too."""
    shape = (bump, *(w.shape() for w in writes))
    text = _TEXTS.get(shape)
    if text is None:
        parts, first = [], 1
        for n, w in enumerate(writes):
            marks = [f"${first + i}" for i in range(len(w.columns))]
            parts.append(f"w{n} AS ({w.sql(dialect, marks)})")
            first += len(w.columns)
        if bump:
            raised = _BUMP.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
            parts.append(f"wb AS ({raised})")
        text = "WITH " + ", ".join(parts) + " SELECT 1"
        if len(_TEXTS) > 1000:
            _TEXTS.clear()
        _TEXTS[shape] = text
    return text


async def _write_at_once(conn: AsyncConnection, writes: list[_Write]) -> None:
    """Every write in one PostgreSQL statement (:func:`_at_once_text`)."""
    text = _at_once_text(conn.dialect, writes)
    values: list[Any] = []
    for w in writes:
        values += w.arrays()
    await conn.exec_driver_sql(text, tuple(values))

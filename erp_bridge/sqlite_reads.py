"""Reads that run on SQLite's driver connection in one hop to its thread.

SQLAlchemy's aiosqlite adapter makes four hops to the connection's thread per statement
(cursor, execute, fetch, close); a read made often (a customer search per call, the outbox
and change-feed polls every second) runs instead as the statement compiled once per process,
with execute and fetch in one hop. Values are bound, and rows read, as the statement's own
types bind and read them (a datetime column comes back a datetime, a boolean a bool), so the
rows are those SQLAlchemy's execution gives. Other databases go through SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Select

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Compiled:
    sql: str
    binds: tuple[tuple[str, Any, Processor], ...]  # name, default value, bind processor
    reads: tuple[Processor, ...]  # one per selected column


#: statements compiled for SQLite, by statement (each built once by its module)
_COMPILED: dict[Select[Any], _Compiled] = {}


def _compile(query: Select[Any], dialect: Dialect) -> _Compiled:
    compiled = query.compile(dialect=dialect)
    binds = []
    for name in compiled.positiontup or ():
        bind = compiled.binds[name]
        binds.append(
            (
                bind.key,
                bind.effective_value,
                bind.type.dialect_impl(dialect).bind_processor(dialect),
            )
        )
    reads = tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, None)
        for column in query.selected_columns
    )
    return _Compiled(compiled.string, tuple(binds), reads)


async def rows(
    conn: AsyncConnection, query: Select[Any], params: Mapping[str, Any] | None = None
) -> list[Sequence[Any]]:
    """The rows of ``query`` with ``params`` (its bind parameters by name; the others keep
    the values they were built with), as tuples in the order of its columns."""
    params = params or {}
    if conn.dialect.name != "sqlite":
        return [tuple(row) for row in await conn.execute(query, dict(params))]
    compiled = _COMPILED.get(query)
    if compiled is None:
        compiled = _COMPILED[query] = _compile(query, conn.dialect)
    values = []
    for name, default, bind in compiled.binds:
        value = params.get(name, default)
        values.append(value if bind is None else bind(value))
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None  # a checked-out connection
    found = await driver.execute_fetchall(compiled.sql, values)
    reads = compiled.reads
    if not any(reads):
        return [tuple(row) for row in found]
    return [
        tuple(
            value if read is None else read(value) for read, value in zip(reads, row, strict=True)
        )
        for row in found
    ]

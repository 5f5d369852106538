"""Unit of work: load the slice of records an operation needs into a
:class:`~erp_bridge.domain.books.Books`, run the core, write back only the changed columns."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from erp_bridge.domain.books import Books, key_of
from erp_bridge.domain.policy import ReleasePolicy
from erp_bridge.embedded.tables import TABLES, changes

T = TypeVar("T")


class UnitOfWork:
    """One transaction's records. ``lock`` adds ``FOR UPDATE`` to locking loads (PostgreSQL)."""

    def __init__(
        self, conn: AsyncConnection, *, lock: bool, policy: ReleasePolicy | None = None
    ) -> None:
        self.conn = conn
        self.policy = policy or ReleasePolicy()  # the site's rules, read when the work began
        self.books = Books()
        self._lock = lock
        self._snap: dict[tuple[type, tuple[Any, ...]], dict[str, Any]] = {}
        self._touched: dict[tuple[str, str, str, str], None] = {}

    async def load(self, cls: type[T], *where: Any, lock: bool = False) -> list[T]:
        """Records of ``cls`` matching ``where``; locking loads go in key order."""
        table = TABLES[cls]
        query = sa.select(table).where(*where)
        if lock:
            query = query.order_by(*(table.c[k] for k in cls.KEY))  # type: ignore[attr-defined]
            if self._lock:
                query = query.with_for_update()
        found: list[T] = []
        names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
        for row in (await self.conn.execute(query)).mappings():
            record = cls(**{n: row[n] for n in names})
            key = key_of(record)
            existing = self.books.get(cls, *key)
            if existing is not None:
                found.append(existing)
                continue
            self.books.add(record)
            self._snap[cls, key] = {n: row[n] for n in names}
            found.append(record)
        return found

    def touch(self, kind: str, customer_code: str, customer_store: str, ref: str) -> None:
        """Note a change for the change feed (written by :meth:`flush`)."""
        self._touched[kind, customer_code, customer_store, ref] = None

    async def flush(self, now: datetime) -> None:
        """Insert new records, update changed columns, append the change feed."""
        for cls in self.books.types():
            table = TABLES[cls]
            names = [f.name for f in dataclasses.fields(cls)]
            inserts = []
            updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            keys: tuple[str, ...] = cls.KEY  # type: ignore[attr-defined]
            for key, record in self.books.items(cls).items():
                values = {n: getattr(record, n) for n in names}
                before = self._snap.get((cls, key))
                if before is None:
                    inserts.append(values)
                else:
                    diff = {n: v for n, v in values.items() if before[n] != v}
                    if diff:
                        diff.update({f"key_{k}": before[k] for k in keys})
                        updates.setdefault(tuple(sorted(diff)), []).append(diff)
                self._snap[cls, key] = values
            for columns, batch in updates.items():
                statement = (
                    table.update()
                    .where(*(table.c[k] == sa.bindparam(f"key_{k}") for k in keys))
                    .values({c: sa.bindparam(c) for c in columns if not c.startswith("key_")})
                )
                await self.conn.execute(statement, batch)
            if inserts:
                await self.conn.execute(table.insert(), inserts)
        if self._touched:
            await self.conn.execute(
                changes.insert(),
                [
                    {"kind": k, "customer_code": c, "customer_store": s, "ref": r, "at": now}
                    for k, c, s, r in self._touched
                ],
            )
            self._touched.clear()

"""The set of records one operation works on: all of them in memory, or the slice an adapter
loaded from its database (the adapter writes back what changed)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from erp_bridge.domain.entities import Customer, Sequence
from erp_bridge.domain.errors import ErpError, not_found

T = TypeVar("T")

# fields that never change once a record exists, kept indexed for ``where``
INDEXED = ("order", "customer_code", "promise", "work_order")


def key_of(record: Any) -> tuple[Any, ...]:
    """The identifying values of a record (its class's ``KEY`` fields)."""
    return tuple(getattr(record, name) for name in type(record).KEY)


class Books:
    """Records by type and key. ``new_id`` makes internal ids (release rows, payments...)."""

    def __init__(self, new_id: Callable[[], str] | None = None) -> None:
        self._tables: dict[type, dict[tuple[Any, ...], Any]] = {}
        self._index: dict[tuple[type, str], dict[Any, dict[tuple[Any, ...], Any]]] = {}
        self.new_id = new_id or (lambda: uuid.uuid4().hex)
        self.taken: dict[str, int] = {}  # numbers already drawn by the adapter, per kind

    def add(self, record: T) -> T:
        """Add (or replace) a record."""
        key = key_of(record)
        self._tables.setdefault(type(record), {})[key] = record
        for name in INDEXED:
            if hasattr(record, name):
                index = self._index.setdefault((type(record), name), {})
                index.setdefault(getattr(record, name), {})[key] = record
        return record

    def add_all(self, records: Iterable[Any]) -> None:
        """Add several records."""
        for record in records:
            self.add(record)

    def get(self, cls: type[T], *key: Any) -> T | None:
        """The record of ``cls`` with ``key`` or None."""
        found: T | None = self._tables.get(cls, {}).get(tuple(key))
        return found

    def must(self, cls: type[T], *key: Any, what: str) -> T:
        """The record or ``<what>_unknown``."""
        found = self.get(cls, *key)
        if found is None:
            raise not_found(what, "/".join(str(k) for k in key))
        return found

    def all(self, cls: type[T]) -> list[T]:
        """Every record of ``cls`` (in insertion order)."""
        return list(self._tables.get(cls, {}).values())

    def where(self, cls: type[T], **equal: Any) -> list[T]:
        """Records of ``cls`` whose fields equal the given values."""
        pool: Iterable[Any] = self._tables.get(cls, {}).values()
        for name in INDEXED:
            if name in equal:
                pool = self._index.get((cls, name), {}).get(equal[name], {}).values()
                break
        return [r for r in pool if all(getattr(r, k) == v for k, v in equal.items())]

    def types(self) -> list[type]:
        """The record types present."""
        return list(self._tables)

    def items(self, cls: type) -> dict[tuple[Any, ...], Any]:
        """Key → record for ``cls`` (a live view)."""
        return self._tables.get(cls, {})

    def next_number(self, name: str, width: int = 6) -> str:
        """The next document number of kind ``name``, zero-padded (one the adapter already
        drew, if any)."""
        if name in self.taken:
            return str(self.taken.pop(name)).zfill(width)
        seq = self.get(Sequence, name) or self.add(Sequence(name, 0))
        seq.value += 1
        return str(seq.value).zfill(width)

    def customer(self, code: str, store: str) -> Customer:
        """The customer or ``customer_unknown``."""
        return self.must(Customer, code, store, what="customer")

    def scope_customers(self, code: str, store: str, all_stores: bool) -> list[Customer]:
        """The customer's store, or every store of its code."""
        if not all_stores:
            return [self.customer(code, store)]
        found = self.where(Customer, code=code)
        if not found:
            raise ErpError("customer_unknown", f"no customer {code}")
        return found

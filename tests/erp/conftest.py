"""Fixtures of the ERP bridge tests: a small world of customers, products and stock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from atende.db import make_engine
from erp_bridge.domain.books import Books
from erp_bridge.domain.catalog import standard_operations, standard_terms
from erp_bridge.domain.entities import BomLine, Customer, Product, Stock
from erp_bridge.embedded.adapter import EmbeddedErp
from erp_bridge.embedded.seed import add_records

TODAY = date(2026, 11, 27)


def small_world() -> Books:
    """Two products bought and one manufactured, stock in warehouse 01, customer 000001/01."""
    books = Books()
    books.add_all(standard_operations())
    books.add_all(standard_terms())
    books.add_all(
        [
            Product("P1", "Cafe 500g", "bought", list_price=Decimal("10.00")),
            Product("P2", "Maquina de cafe", "manufactured", list_price=Decimal("50.00")),
            Product("P3", "Filtro", "bought", list_price=Decimal("3.33")),
            Product("C1", "Resistencia", "bought", list_price=Decimal("5.00")),
            BomLine("P2", "C1", Decimal(2)),
            Stock("P1", "01", on_hand=Decimal(100)),
            Stock("P2", "01", on_hand=Decimal(5)),
            Stock("P3", "01", on_hand=Decimal(10)),
            Stock("C1", "01", on_hand=Decimal(40)),
        ]
    )
    books.add(
        Customer(
            "000001",
            "01",
            "Padaria Boa Vista Ltda",
            "11222333000181",
            phone="+5511987654321",
            risk="C",
            credit_limit=Decimal("1000.00"),
        )
    )
    return books


@pytest.fixture
def books() -> Books:
    """A fresh small world."""
    return small_world()


@pytest.fixture
def customer(books: Books) -> Callable[..., Customer]:
    """Change customer 000001/01 (or add a store) with the given fields."""

    def change(store: str = "01", **fields: Any) -> Customer:
        found = books.get(Customer, "000001", store)
        if found is None:
            found = books.add(
                Customer("000001", store, "Padaria Boa Vista Filial", "11222333000262")
            )
        for name, value in fields.items():
            setattr(found, name, value)
        return found

    return change


CLOCK_NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


@pytest.fixture
async def erp(database_url: str) -> AsyncIterator[EmbeddedErp]:
    """The embedded ERP on a fresh migrated database (SQLite and PostgreSQL) with the small
    world loaded; its clock says 2026-11-27 12:00 in Sao Paulo."""
    engine = make_engine(database_url)
    world = small_world()
    records = [r for cls in world.types() for r in world.all(cls)]
    await add_records(engine, records)
    yield EmbeddedErp(engine, clock=lambda: CLOCK_NOW)
    await engine.dispose()

"""The demo ERP seed: realistic, consistent, reproducible."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest

from atende.db import make_engine, upgrade
from erp_bridge.domain import entities as e
from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.phones import normalize_phone
from erp_bridge.domain.taxid import normalize_tax_id
from erp_bridge.embedded.adapter import EmbeddedErp
from erp_bridge.embedded.seed import seed_demo

TODAY = date(2026, 11, 27)


async def test_seed_demo(database_url: str) -> None:
    """Customers of every risk with valid CPF/CNPJ and +55 phones, consistent books, overdue
    titles for collection; a second seed is refused."""
    engine = make_engine(database_url)
    try:
        summary = await seed_demo(engine, 7, customers=60, today=TODAY)
        erp = EmbeddedErp(engine)
        books = (await erp.snapshot()).books
        customers = books.all(e.Customer)
        assert summary.customers == len(customers) >= 60
        assert {c.risk for c in customers} == set("ABCDE")
        assert all(normalize_tax_id(c.tax_id) == c.tax_id for c in customers)
        assert all(
            normalize_phone(c.phone) == c.phone and c.phone.startswith("+55") for c in customers
        )
        assert {len(c.tax_id) for c in customers} == {11, 14}
        assert summary.overdue_titles > 0 and summary.open_titles > summary.overdue_titles
        assert any(o.status == "blocked_credit" for o in books.all(e.SalesOrder))
        assert await erp.audit() == []
        with pytest.raises(ErpError) as err:
            await seed_demo(engine, 7, customers=60, today=TODAY)
        assert err.value.code == "already_seeded"
    finally:
        await engine.dispose()


async def test_same_seed_same_data(tmp_path: Path) -> None:
    """Two databases seeded with the same number hold the same customers and titles."""
    names = []
    for n in (1, 2):
        url = f"sqlite+aiosqlite:///{tmp_path / f'seed{n}.db'}"
        await asyncio.to_thread(upgrade, url)
        engine = make_engine(url)
        await seed_demo(engine, 11, customers=30, today=TODAY)
        books = (await EmbeddedErp(engine).snapshot()).books
        names.append(
            (
                sorted((c.code, c.name, c.tax_id) for c in books.all(e.Customer)),
                sorted((t.ref, t.balance) for t in books.all(e.Receivable)),
            )
        )
        await engine.dispose()
    assert names[0] == names[1]

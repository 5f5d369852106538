"""Master data that would break the stored books is refused with a reason, on SQLite and
PostgreSQL alike (never a database error): a product as its own component, a stock entry
taking stock past what the column holds, legacy titles whose open total would overflow."""

from __future__ import annotations

from typing import Any

import pytest

from erp_bridge.app.import_master import import_rows
from erp_bridge.domain.errors import ErpError
from erp_bridge.embedded.adapter import EmbeddedErp


async def _stock(erp: EmbeddedErp, product: str) -> str:
    [found] = await erp.products([product])
    return str(found.on_hand)


async def test_bom_and_stock_entries_within_bounds(erp: EmbeddedErp) -> None:
    """A BOM line making P1 of P1 is refused on its line; with P1's stock counted at the
    largest quantity the column holds, an input document adding 1 is refused and stock stays;
    one adding nothing past the bound (after a lower count) loads."""
    report = await import_rows(
        erp,
        "bom",
        [(2, {"product": "P1", "component": "P1", "quantity": "1"})],
    )
    assert [(p.line, p.problem) for p in report.refused] == [
        (2, "Value error, a product cannot be its own component")
    ]

    top = "99999999999999.9999"
    await import_rows(erp, "stock", [(1, {"product": "P1", "on_hand": top})])
    entry: dict[str, Any] = {
        "document": "NF-1",
        "product": "P1",
        "quantity": "1",
        "entered_on": "2026-11-26",
    }
    report = await import_rows(erp, "stock_entries", [(5, entry)])
    assert report.added == 0
    assert [(p.line, p.field) for p in report.refused] == [(5, "quantity")]
    assert await _stock(erp, "P1") == top

    await import_rows(erp, "stock", [(1, {"product": "P1", "on_hand": "99999999999998.9999"})])
    report = await import_rows(erp, "stock_entries", [(5, entry)])
    assert (report.added, report.refused) == (1, ())
    assert await _stock(erp, "P1") == top


async def test_legacy_titles_that_would_overflow_the_open_total(erp: EmbeddedErp) -> None:
    """Two open titles of 60 trillion for one customer would make open receivables past the
    largest amount: ``amount_too_large``, and neither title is loaded."""
    titles = [
        (
            n,
            {
                "prefix": "LEG",
                "number": str(n),
                "customer_code": "000001",
                "customer_store": "01",
                "issued": "2026-10-01",
                "due": "2026-12-01",
                "value": "60000000000000.00",
                "balance": "60000000000000.00",
            },
        )
        for n in (2, 3)
    ]
    with pytest.raises(ErpError) as err:
        await import_rows(erp, "receivables", titles)
    assert err.value.code == "amount_too_large"
    position = await erp.customer_position("000001", "01")
    assert position.open_receivables == 0

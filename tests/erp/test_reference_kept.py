"""The site's parameters, operation types and payment terms an ERP process keeps between
orders follow every change, made by it or by another process (the API server while the CLI
loads a file, two engine processes on PostgreSQL): the next order is judged by the new ones."""

from __future__ import annotations

from decimal import Decimal

from atende.db import make_engine
from erp_bridge.app.import_master import import_rows
from erp_bridge.domain.orders import OrderLine, OrderRequest
from erp_bridge.embedded.adapter import EmbeddedErp

from .conftest import CLOCK_NOW


def _order(qty: int, terms: str | None = None) -> OrderRequest:
    return OrderRequest("000001", "01", (OrderLine("P1", Decimal(qty)),), payment_terms=terms)


async def test_changes_by_another_process_reach_the_next_order(
    erp: EmbeddedErp, database_url: str
) -> None:
    """An order over the limit is held for credit; another process turns credit analysis
    off (MV_BLOQUEI=F) and the same order passes credit; it adds payment terms 005 and an
    order on 005 is taken; it sets MV_BLOQUEI back and the order is held again."""
    other_engine = make_engine(database_url)
    other = EmbeddedErp(other_engine, clock=lambda: CLOCK_NOW)
    try:
        held = await erp.create_sales_order(_order(101))  # 1010.00 over the 1000.00 limit
        assert held.lines[0].credit_block == "01"

        await other.set_parameters({"MV_BLOQUEI": "F"}, by="admin")
        passed = await erp.create_sales_order(_order(101))
        assert passed.lines[0].credit_block == ""  # stock may still hold part of it

        row = {"code": "005", "description": "45 dias", "days": "45"}
        report = await import_rows(other, "payment_terms", [(1, row)])
        assert report.added == 1
        taken = await erp.create_sales_order(_order(1, "005"))  # unknown terms would refuse
        assert taken.lines[0].credit_block == ""

        await other.set_parameters({"MV_BLOQUEI": "T"}, by="admin")
        again = await erp.create_sales_order(_order(101))
        assert again.lines[0].credit_block == "01"
    finally:
        await other_engine.dispose()

"""Batch runs of the embedded ERP, for the CLI (``atende erp invoice-run`` ...) and schedulers."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from erp_bridge.domain.entities import ProductionOrder, Promise
from erp_bridge.domain.invoicing import InvoiceResult
from erp_bridge.domain.policy import ReleasePolicy
from erp_bridge.embedded.adapter import EmbeddedErp


async def invoice_run(
    engine: AsyncEngine, policy: ReleasePolicy | None = None
) -> list[InvoiceResult]:
    """``atende erp invoice-run``: invoice every released or partly released order."""
    return await EmbeddedErp(engine, policy).invoice_run()


async def production_run(engine: AsyncEngine) -> list[ProductionOrder]:
    """``atende erp production-run``: production orders for manufactured items short of stock."""
    return await EmbeddedErp(engine).production_run()


async def collection_run(engine: AsyncEngine) -> list[Promise]:
    """``atende erp collection-run``: mark promises kept or broken as of today."""
    return await EmbeddedErp(engine).settle_promises()


async def consistency_check(engine: AsyncEngine) -> list[str]:
    """``atende erp check``: balances against documents, stock, double invoicing."""
    return await EmbeddedErp(engine).audit()

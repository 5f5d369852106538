"""Loading records into the embedded ERP, and the demo ERP seed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from erp_bridge.embedded.uow import UnitOfWork


async def add_records(engine: AsyncEngine, records: Iterable[Any]) -> None:
    """Insert core records (customers, products, stock, ...) in one transaction."""
    async with engine.begin() as conn:
        uow = UnitOfWork(conn, lock=False)
        uow.books.add_all(records)
        await uow.flush(datetime.now(UTC))

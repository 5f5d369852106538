"""Telecobrança: the overdue titles to call about."""

from __future__ import annotations

from erp_bridge.domain.collection import CollectionItem
from erp_bridge.domain.errors import ErpError
from erp_bridge.port import ErpPort


async def collection_list(port: ErpPort, *, min_days: int = 1) -> list[CollectionItem]:
    """Overdue titles, most late first; broken promises come back flagged."""
    if min_days < 0:
        raise ErpError("min_days_invalid", "days overdue cannot be negative")
    return await port.overdue_titles(min_days=min_days)

"""Telecobrança: the overdue titles to call about."""

from __future__ import annotations

from collections.abc import Sequence

from erp_bridge.domain.collection import CollectionItem, assign_brackets
from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.policy import CollectionBracket, CollectionPolicy
from erp_bridge.port import ErpPort


async def collection_list(port: ErpPort, *, min_days: int = 1) -> list[CollectionItem]:
    """Overdue titles, most late first; broken promises come back flagged."""
    if min_days < 0:
        raise ErpError("min_days_invalid", "days overdue cannot be negative")
    return await port.overdue_titles(min_days=min_days)


async def collection_work(
    port: ErpPort, brackets: Sequence[CollectionBracket] | None = None
) -> dict[str, list[CollectionItem]]:
    """Overdue titles split into work per operator group by days overdue."""
    return assign_brackets(await port.overdue_titles(), brackets or CollectionPolicy().brackets)

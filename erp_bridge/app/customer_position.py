"""The customer position screen (credit analyst, screen-pop)."""

from __future__ import annotations

from erp_bridge.domain.position import CustomerPosition
from erp_bridge.port import ErpPort


async def customer_position(port: ErpPort, code: str, store: str) -> CustomerPosition:
    """The position, or ``customer_unknown``."""
    return await port.customer_position(code, store)

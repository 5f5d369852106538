"""Field service: open a ticket, add notes, work order, visits, close."""

from __future__ import annotations

from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.field_service import TicketRequest
from erp_bridge.port import ErpPort, TicketResult, TicketUpdate


async def open_service_ticket(
    port: ErpPort, req: TicketRequest, *, idempotency_key: str | None = None
) -> TicketResult:
    """Open a service call (``description_required``, ``product_unknown``...)."""
    if not req.description.strip():
        raise ErpError("description_required", "say what is wrong")
    return await port.open_service_ticket(req, idempotency_key=idempotency_key)


async def update_service_ticket(port: ErpPort, number: str, update: TicketUpdate) -> TicketResult:
    """Apply a note / work order / visit / close to a ticket."""
    return await port.update_service_ticket(number, update)

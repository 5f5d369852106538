"""Save the call's outcome for the ERP together with its disposition (exactly once)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from erp_bridge.app.checks import check_order, check_promise
from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.field_service import TicketRequest
from erp_bridge.domain.orders import OrderRequest
from erp_bridge.outbox.outcomes import Outcome, record_outcome
from erp_bridge.port import PromiseRequest


async def record_call_outcome(conn: AsyncConnection, outcome: Outcome, *, now: datetime) -> str:
    """Check the outcome's shape and store it on ``conn``, in the transaction that writes the
    call's disposition. The outbox worker delivers it; its state (delivered, rejected with the
    ERP's reason, dead) is read with :mod:`erp_bridge.app.outcomes`."""
    payload = outcome.payload
    if isinstance(payload, OrderRequest):
        check_order(payload)
    elif isinstance(payload, PromiseRequest):
        check_promise(payload)
    elif isinstance(payload, TicketRequest) and not payload.description.strip():
        raise ErpError("description_required", "say what is wrong")
    return await record_outcome(conn, outcome, now=now)

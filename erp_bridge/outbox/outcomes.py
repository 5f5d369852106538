"""Outcomes of a call and how they are stored with the call's disposition."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncConnection

from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.field_service import TicketRequest
from erp_bridge.domain.orders import OrderRequest
from erp_bridge.outbox.table import outbox
from erp_bridge.port import PromiseRequest

PAYLOADS: dict[str, TypeAdapter[Any]] = {
    "sales_order": TypeAdapter(OrderRequest),
    "promise": TypeAdapter(PromiseRequest),
    "service_ticket": TypeAdapter(TicketRequest),
}
Payload = OrderRequest | PromiseRequest | TicketRequest
KINDS: dict[type, str] = {
    OrderRequest: "sales_order",
    PromiseRequest: "promise",
    TicketRequest: "service_ticket",
}


@dataclass(frozen=True)
class Outcome:
    """What a call produced for the ERP, with the call and agent it came from."""

    payload: Payload
    call_id: str = ""
    agent: str = ""

    @property
    def kind(self) -> str:
        """``sales_order``, ``promise`` or ``service_ticket``."""
        return KINDS[type(self.payload)]


async def record_outcome(conn: AsyncConnection, outcome: Outcome, *, now: datetime) -> str:
    """Store ``outcome`` for delivery, inside the caller's transaction on ``conn`` (the same one
    that writes the call's disposition): both are committed, or neither. Returns its id."""
    if type(outcome.payload) not in KINDS:
        raise ErpError("outcome_kind_invalid", f"cannot deliver {type(outcome.payload).__name__}")
    outcome_id = str(uuid.uuid4())
    await conn.execute(
        outbox.insert().values(
            id=outcome_id,
            kind=outcome.kind,
            payload=PAYLOADS[outcome.kind].dump_json(outcome.payload).decode(),
            call_id=outcome.call_id,
            agent=outcome.agent,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )
    return outcome_id


def idempotency_key(outcome_id: str) -> str:
    """The key the ERP records so a repeated delivery is applied once."""
    return f"atende-outcome-{outcome_id}"

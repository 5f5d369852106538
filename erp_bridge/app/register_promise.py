"""Telecobrança: the customer promises to pay some titles by a date."""

from __future__ import annotations

from erp_bridge.app.checks import check_promise
from erp_bridge.port import ErpPort, PromiseRequest, PromiseResult


async def register_promise(
    port: ErpPort, req: PromiseRequest, *, idempotency_key: str | None = None
) -> PromiseResult:
    """Record the promise now (``promise_date_past``, ``promise_amount_invalid``, ...)."""
    check_promise(req)
    return await port.register_promise(req, idempotency_key=idempotency_key)

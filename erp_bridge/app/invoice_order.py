"""Invoice an order's released items (``nothing_to_invoice`` when none)."""

from __future__ import annotations

from erp_bridge.domain.invoicing import InvoiceResult
from erp_bridge.port import ErpPort


async def invoice_order(port: ErpPort, number: str) -> InvoiceResult:
    """The invoice and its receivables."""
    return await port.invoice(number)

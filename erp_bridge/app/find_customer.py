"""Find the caller: by the phone number calling in, or by the CPF/CNPJ they say."""

from __future__ import annotations

from erp_bridge.domain.errors import ErpError
from erp_bridge.port import CustomerRef, ErpPort


async def find_customer(
    port: ErpPort, *, phone: str | None = None, tax_id: str | None = None
) -> list[CustomerRef]:
    """Customers matching; ``search_empty`` without a phone or tax id, ``tax_id_invalid`` or
    ``phone_invalid`` for malformed input."""
    if not (phone or tax_id):
        raise ErpError("search_empty", "give a phone or a tax id")
    return await port.find_customers(phone=phone, tax_id=tax_id)

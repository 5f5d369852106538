"""Who is calling: the caller's number in E.164 (Brazil by default) or a CPF/CNPJ with valid
check digits (the ERP's own check, not a copy)."""

from __future__ import annotations

import functools

import phonenumbers

from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.taxid import normalize_tax_id

__all__ = ["caller_number", "normalize_tax_id"]


@functools.lru_cache(maxsize=4096)  # pure; a call looks its number up several times
def caller_number(raw: str, region: str = "BR") -> str:
    """The caller's number in E.164, or ``phone_invalid`` (anonymous, short, not a number)."""
    try:
        parsed = phonenumbers.parse((raw or "").strip(), region)
    except phonenumbers.NumberParseException as err:
        raise ErpError("phone_invalid", f"{raw!r} is not a phone number") from err
    if not phonenumbers.is_possible_number(parsed):
        raise ErpError("phone_invalid", f"{raw!r} is not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

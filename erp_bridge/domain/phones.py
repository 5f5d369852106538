"""Phone numbers in E.164 (libphonenumber), Brazilian numbers without +55 accepted."""

from __future__ import annotations

import functools

import phonenumbers

from erp_bridge.domain.errors import ErpError


@functools.lru_cache(maxsize=4096)  # pure; a call looks its number up several times
def normalize_phone(raw: str, region: str = "BR") -> str:
    """E.164 form of a phone number, or ``phone_invalid``."""
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as err:
        raise ErpError("phone_invalid", f"{raw!r} is not a phone number") from err
    if not phonenumbers.is_possible_number(parsed):
        raise ErpError("phone_invalid", f"{raw!r} is not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

"""Phone numbers in E.164 (libphonenumber), Brazilian numbers without +55 accepted."""

from __future__ import annotations

import functools

import phonenumbers

from erp_bridge.domain.errors import ErpError

#: E.164 numbers this process produced (at most _KEPT): each is its own E.164 form, so the
#: number a caller's lookup normalized once is not parsed again at every later step
_E164: set[str] = set()
_KEPT = 4096


def normalize_phone(raw: str, region: str = "BR") -> str:
    """E.164 form of a phone number, or ``phone_invalid``."""
    if raw in _E164:
        return raw
    number = _parsed(raw, region)
    if len(_E164) >= _KEPT:
        _E164.clear()
    _E164.add(number)
    return number


@functools.lru_cache(maxsize=4096)  # pure; a call looks its number up several times
def _parsed(raw: str, region: str) -> str:
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as err:
        raise ErpError("phone_invalid", f"{raw!r} is not a phone number") from err
    if not phonenumbers.is_possible_number(parsed):
        raise ErpError("phone_invalid", f"{raw!r} is not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

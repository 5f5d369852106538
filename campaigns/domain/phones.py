"""Dialable phones: E.164 with libphonenumber, and the time zones of the number.

Brazilian numbers written as spreadsheets have them (``(11) 98765-4321``, ``11987654321``)
take a fast path judged from the number's shape (first five digits and length, memoised) and
its DDD's zones, instead of running the parser's regular expressions for every row;
everything else goes through ``phonenumbers.parse``. The fast path accepts, formats and
places in time zones exactly what the parser would (tests compare them).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX

_PUNCTUATION = str.maketrans("", "", " ()-./")

# libphonenumber maps DDD 81 to Fernando de Noronha (UTC-2) as a whole; nearly all of those
# numbers are in Pernambuco (Recife, UTC-3). Both zones are kept so that a calling window must
# hold in each: the lead is never called before the hour in either.
_EXTRA_ZONES = {"5581": ("America/Recife",)}


@dataclass(frozen=True)
class Phone:
    """A valid phone: E.164 text and its IANA time zones (one or more)."""

    number: str
    zones: tuple[str, ...]


class PhoneProblem(ValueError):
    """Why a phone was refused: ``reason`` is ``phone_invalid``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


#: every leading part of a prefix the time-zone data knows: a number's digits past the longest
#: such part cannot change its zones, so the memo below is keyed on that part only
_KEY_PARTS = frozenset(key[:n] for key in TIMEZONE_DATA for n in range(1, len(key) + 1))


def zones_for_prefix(prefix: str) -> tuple[str, ...]:
    """Time zones of the longest known prefix of ``prefix`` (E.164 digits, no ``+``)."""
    size = 1
    while size < len(prefix) and prefix[: size + 1] in _KEY_PARTS:
        size += 1
    return _zones_of(prefix[:size])


@lru_cache(maxsize=8192)
def _zones_of(prefix: str) -> tuple[str, ...]:
    for size in range(min(len(prefix), TIMEZONE_LONGEST_PREFIX), 0, -1):
        zones = TIMEZONE_DATA.get(prefix[:size])
        if zones is not None:
            found = tuple(z for z in zones if z != "Etc/Unknown")
            return found + _EXTRA_ZONES.get(prefix[:4], ())
    return ()


@lru_cache(maxsize=128)
def _ddd_zones(ddd: str) -> tuple[str, ...] | None:
    """The zones of every Brazilian number of the DDD, or ``None`` when the data gives some
    numbers of the DDD other zones than the rest (those are looked up number by number).

    A number of the DDD takes the zones of a key that extends ``55`` + DDD, or else of the
    longest key that is a prefix of ``55`` + DDD: when all of those agree, the DDD decides.
    """
    head = "55" + ddd
    found = {_zones_of(key) for key in TIMEZONE_DATA if key.startswith(head)}
    found.add(zones_for_prefix(head))
    return found.pop() if len(found) == 1 else None


@lru_cache(maxsize=65536)
def _br_shape(prefix5: str, length: int) -> tuple[bool, tuple[str, ...] | None]:
    """Validity of a Brazilian national number of 10 or 11 digits from its first five, and the
    zones of its DDD (``None``: ask per number).

    libphonenumber's Brazilian patterns (fixed line, mobile, toll free, premium, shared cost)
    decide on at most the first five digits and then the length; the memo saves the pattern
    matching for every number after the first of its shape (tests compare the result with
    the parser's for every DDD and for generated numbers in any spreadsheet format).
    """
    sample = phonenumbers.PhoneNumber(
        country_code=55, national_number=int(prefix5.ljust(length, "0"))
    )
    valid = bool(phonenumbers.is_valid_number(sample))
    return valid, (_ddd_zones(prefix5[:2]) if valid else None)


def normalise_phone(raw: str, region: str = "BR") -> Phone:
    """The E.164 phone of ``raw`` (national numbers read in ``region``) and its zones.

    A Brazilian national number of 10 or 11 ASCII digits (punctuation aside, no leading 0)
    is judged from its shape (:func:`_br_shape`): its E.164 form is ``+55`` and the digits,
    which is what ``format_number`` makes of it. Anything else goes through
    ``phonenumbers.parse``.
    """
    if region == "BR":
        digits = raw.translate(_PUNCTUATION)
        if len(digits) in (10, 11) and digits.isascii() and digits.isdigit() and digits[0] != "0":
            valid, zones = _br_shape(digits[:5], len(digits))
            if not valid:
                raise PhoneProblem("phone_invalid", f"{raw!r} is not a valid phone number")
            if zones is None:
                zones = zones_for_prefix("55" + digits[: TIMEZONE_LONGEST_PREFIX - 2])
            return Phone("+55" + digits, zones)
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as err:
        raise PhoneProblem("phone_invalid", f"{raw!r} is not a phone number") from err
    if not phonenumbers.is_valid_number(number):
        raise PhoneProblem("phone_invalid", f"{raw!r} is not a valid phone number")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return Phone(e164, zones_for_prefix(e164[1 : 1 + TIMEZONE_LONGEST_PREFIX]))

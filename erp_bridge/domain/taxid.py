"""Brazilian tax ids: CPF (people, 11 digits) and CNPJ (companies, 14 digits), check digits."""

from __future__ import annotations

import re
from operator import mul

from erp_bridge.domain.errors import TaxIdError

_NON_DIGITS = re.compile(r"[.\-/\s]")


def _digit(digits: str, weights: range | list[int]) -> int:
    if len(digits) != len(weights):
        raise ValueError("one weight per digit")
    if digits.isascii():  # the usual case, without a Python-level loop: '0' is byte 48
        total = sum(map(mul, digits.encode(), weights)) - 48 * sum(weights)
    else:
        total = sum(int(d) * w for d, w in zip(digits, weights, strict=True))
    rest = total % 11
    return 0 if rest < 2 else 11 - rest


def cpf_check_digits(base9: str) -> str:
    """The two check digits of the first nine CPF digits."""
    first = _digit(base9, range(10, 1, -1))
    second = _digit(base9 + str(first), range(11, 1, -1))
    return f"{first}{second}"


_CNPJ_W1 = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
_CNPJ_W2 = [6, *_CNPJ_W1]


def cnpj_check_digits(base12: str) -> str:
    """The two check digits of the first twelve CNPJ digits."""
    first = _digit(base12, _CNPJ_W1)
    second = _digit(base12 + str(first), _CNPJ_W2)
    return f"{first}{second}"


def normalize_tax_id(raw: str) -> str:
    """Digits of a valid CPF or CNPJ (punctuation allowed), else :class:`TaxIdError`."""
    digits = _NON_DIGITS.sub("", raw or "")
    if not digits.isdigit():
        raise TaxIdError(f"tax id {raw!r} has characters other than digits and . - /")
    if len(digits) == 11:
        kind, base, check = "CPF", digits[:9], cpf_check_digits(digits[:9])
    elif len(digits) == 14:
        kind, base, check = "CNPJ", digits[:12], cnpj_check_digits(digits[:12])
    else:
        raise TaxIdError(f"tax id {raw!r} has {len(digits)} digits; a CPF has 11 and a CNPJ 14")
    if len(set(digits)) == 1:
        raise TaxIdError(f"{kind} {raw!r} repeats one digit; it is not a real {kind}")
    if digits[len(base) :] != check:
        raise TaxIdError(f"{kind} {raw!r} check digits should be {check}")
    return digits


def is_cnpj(digits: str) -> bool:
    """True for a (normalized) company id."""
    return len(digits) == 14

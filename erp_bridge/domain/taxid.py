"""Brazilian tax ids: CPF (people, 11 digits) and CNPJ (companies, 14 digits), check digits."""

from __future__ import annotations

import re
from operator import mul

from erp_bridge.domain.errors import TaxIdError

_NON_DIGITS = re.compile(r"[.\-/\s]")

# Weights of the base digits for the first and the second check digit; the second check
# digit also weighs the first one by 2. CPF: 10..2 then 11..2; CNPJ: 5..2,9..2 then
# 6,5..2,9..2.
_CPF_W1 = tuple(range(10, 1, -1))
_CPF_W2 = tuple(range(11, 2, -1))
_CNPJ_W1 = (5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)
_CNPJ_W2 = (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3)


def _check_pair(base: str, w1: tuple[int, ...], w2: tuple[int, ...]) -> str:
    if len(base) != len(w1):
        raise ValueError(f"{len(w1)} digits expected")
    if base.isascii():  # the usual case, without a Python-level loop: '0' is byte 48
        codes = base.encode()
        first_sum = sum(map(mul, codes, w1)) - 48 * sum(w1)
        second_sum = sum(map(mul, codes, w2)) - 48 * sum(w2)
    else:
        values = [int(d) for d in base]
        first_sum, second_sum = sum(map(mul, values, w1)), sum(map(mul, values, w2))
    rest = first_sum % 11
    first = 0 if rest < 2 else 11 - rest
    rest = (second_sum + 2 * first) % 11
    return f"{first}{0 if rest < 2 else 11 - rest}"


def cpf_check_digits(base9: str) -> str:
    """The two check digits of the first nine CPF digits."""
    return _check_pair(base9, _CPF_W1, _CPF_W2)


def cnpj_check_digits(base12: str) -> str:
    """The two check digits of the first twelve CNPJ digits."""
    return _check_pair(base12, _CNPJ_W1, _CNPJ_W2)


def normalize_tax_id(raw: str) -> str:
    """Digits of a valid CPF or CNPJ (punctuation allowed), else :class:`TaxIdError`."""
    digits = _NON_DIGITS.sub("", raw or "")
    if not (digits.isascii() and digits.isdigit()):
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

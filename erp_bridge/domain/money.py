"""Money and quantities: Decimal only, cents rounded half up."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal("0")
CENT = Decimal("0.01")


def cents(value: Decimal | int | str) -> Decimal:
    """``value`` rounded to cents (half up), as Protheus rounds document values."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def split(total: Decimal, parts: int) -> list[Decimal]:
    """``total`` in ``parts`` equal cents; the last part takes the remainder."""
    if parts < 1:
        raise ValueError("parts must be at least 1")
    each = (total / parts).quantize(CENT, rounding=ROUND_HALF_UP)
    return [each] * (parts - 1) + [total - each * (parts - 1)]

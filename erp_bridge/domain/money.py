"""Money and quantities: Decimal only, cents rounded half up, bounded by what the columns hold."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal("0")
CENT = Decimal("0.01")
QTY_STEP = Decimal("0.0001")

# amounts and quantities are stored as NUMERIC(18, 4): at most 14 digits before the point
MAX_AMOUNT = Decimal("99999999999999.99")
MAX_QUANTITY = Decimal("99999999999999.9999")


def cents(value: Decimal | int | str) -> Decimal:
    """``value`` rounded to cents (half up), as Protheus rounds document values."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def money(value: Decimal) -> str:
    """``value`` as people read it in messages: ``"10000.00"``."""
    return str(cents(value))


def qty(value: Decimal) -> str:
    """A quantity without trailing zeros: ``"2.5"``, ``"10"``."""
    text = format(value.normalize(), "f")
    return text


def split(total: Decimal, parts: int) -> list[Decimal]:
    """``total`` in ``parts`` equal cents; the last part takes the remainder."""
    if parts < 1:
        raise ValueError("parts must be at least 1")
    each = (total / parts).quantize(CENT, rounding=ROUND_HALF_UP)
    return [each] * (parts - 1) + [total - each * (parts - 1)]

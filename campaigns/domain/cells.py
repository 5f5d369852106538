"""Cell hygiene: formula-looking text neutralised, huge cells refused."""

from __future__ import annotations

import re

MAX_CELL_CHARS = 1000
"""A cell longer than this is refused (the row is rejected with ``cell_too_large``)."""

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet run a cell."""
_NUMBER = re.compile(r"[+-]?\d+([.,]\d+)?")


def neutralise(value: str) -> str:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe.

    Plain signed numbers (``-12.5``) are left alone; everything else starting with
    ``= + - @`` or a tab/carriage return is prefixed with ``'`` (OWASP's CSV injection advice).
    """
    if value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def clean(value: object) -> str:
    """A cell as stripped text: integral floats from spreadsheets lose their ``.0``."""
    if type(value) is str:  # every cell of a CSV
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()

"""What loading master data reports per row, and what it changed that the release rules
care about."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class RowOutcome:
    """What became of one row: ``added``, ``changed``, ``unchanged`` or ``refused``."""

    line: int
    outcome: str
    field: str = ""
    problem: str = ""


@dataclass
class Touched:
    """What a load changed that the release rules care about (for re-analysis)."""

    stock: set[tuple[str, str]] = dataclasses.field(default_factory=set)
    credit: set[tuple[str, str]] = dataclasses.field(default_factory=set)

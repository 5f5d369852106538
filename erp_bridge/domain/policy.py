"""Release and credit parameters (Protheus MV_ parameters, as plain settings)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType


def _overdue_defaults() -> Mapping[str, int]:
    return MappingProxyType({"B": 30, "C": 15, "D": 5})


def _no_class_max() -> Mapping[str, Decimal]:
    return MappingProxyType({})


@dataclass(frozen=True)
class CreditPolicy:
    """How credit is judged.

    ``scope`` ``store`` judges one store of the customer, ``all`` every store of its code.
    ``overdue_days`` per risk: an open title overdue by more than that many days blocks (01).
    ``small_order_threshold``: an order up to this value skips the limit check.
    ``max_percent_of_limit``: an order above this percentage of the limit is blocked.
    ``class_max``: the largest order value for customers of size class A, B or C.
    """

    scope: str = "store"
    overdue_days: Mapping[str, int] = field(default_factory=_overdue_defaults)
    small_order_threshold: Decimal | None = None
    max_percent_of_limit: Decimal | None = None
    class_max: Mapping[str, Decimal] = field(default_factory=_no_class_max)


@dataclass(frozen=True)
class ReleasePolicy:
    """Release settings: automatic release on entry, delivery slack, interest on late titles."""

    credit: CreditPolicy = field(default_factory=CreditPolicy)
    auto_release: bool = True
    delivery_slack_days: int = 0
    daily_interest: Decimal = Decimal("0.00033")  # about 1% a month, simple

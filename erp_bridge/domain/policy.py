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


def _currency_one() -> Mapping[int, Decimal]:
    return MappingProxyType({1: Decimal(1)})


@dataclass(frozen=True)
class CreditPolicy:
    """How credit is judged.

    ``scope`` ``store`` judges one store of the customer, ``all`` every store of its code.
    ``overdue_days`` per risk: an open title overdue by more than that many days blocks (01).
    ``small_order_threshold``: an order up to this value skips the limit check.
    ``max_percent_of_limit``: an order above this percentage of the limit is blocked.
    ``class_max``: the largest order value for customers of size class A, B or C.
    ``enabled`` False: credit is not judged (every order passes credit; MV_BLOQUEI = F).
    ``currency_rates``: value of one unit of currency n in currency 1, for limits kept in
    another currency (A1_MOEDALC); a limit in a currency without a rate blocks (01).
    """

    scope: str = "store"
    overdue_days: Mapping[str, int] = field(default_factory=_overdue_defaults)
    small_order_threshold: Decimal | None = None
    max_percent_of_limit: Decimal | None = None
    class_max: Mapping[str, Decimal] = field(default_factory=_no_class_max)
    enabled: bool = True
    currency_rates: Mapping[int, Decimal] = field(default_factory=_currency_one)


@dataclass(frozen=True)
class CollectionBracket:
    """Titles overdue between ``min_days`` and ``max_days`` (None: no upper bound) go to
    ``group``; brackets are tried in order, the last one usually catches all."""

    min_days: int
    max_days: int | None
    group: str


def _default_brackets() -> tuple[CollectionBracket, ...]:
    return (
        CollectionBracket(1, 15, "cobranca-leve"),
        CollectionBracket(16, 60, "cobranca"),
        CollectionBracket(61, None, "cobranca-juridico"),
    )


@dataclass(frozen=True)
class CollectionPolicy:
    """Telecobrança rules: the brackets and how far a promise may push the payment."""

    brackets: tuple[CollectionBracket, ...] = field(default_factory=_default_brackets)
    max_promise_days: int = 30


@dataclass(frozen=True)
class ReleasePolicy:
    """Release settings: automatic release on entry, delivery slack, interest on late titles."""

    credit: CreditPolicy = field(default_factory=CreditPolicy)
    auto_release: bool = True
    delivery_slack_days: int = 0
    daily_interest: Decimal = Decimal("0.00033")  # about 1% a month, simple
    collection: CollectionPolicy = field(default_factory=CollectionPolicy)

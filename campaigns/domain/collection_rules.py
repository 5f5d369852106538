"""Telecobrança lists: which debtors the overdue receivables put on a collection list.

The ERP gives the overdue titles (open promises left out, broken ones back and flagged); the
rules pick customers by days overdue (brackets: the customer's most overdue title decides),
the amount overdue (the sum of the customer's overdue balances) and the customer's risk
class. One lead per customer store, with its bracket, amount and titles as custom fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from erp_bridge.domain.collection import CollectionItem

CustomerKey = tuple[str, str]  # (code, store)


class Bracket(BaseModel):
    """Days overdue from ``min_days`` to ``max_days`` (open when ``None``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str = Field(min_length=1, max_length=32)
    min_days: int = Field(ge=1, le=3650)
    max_days: int | None = Field(default=None, ge=1, le=3650)

    @model_validator(mode="after")
    def _ordered(self) -> Bracket:
        if self.max_days is not None and self.max_days < self.min_days:
            raise ValueError("max_days must not be below min_days")
        return self

    def takes(self, days: int) -> bool:
        """Does a customer ``days`` overdue fall in the bracket?"""
        return days >= self.min_days and (self.max_days is None or days <= self.max_days)


def _default_brackets() -> list[Bracket]:
    return [
        Bracket(name="1-30", min_days=1, max_days=30),
        Bracket(name="31-90", min_days=31, max_days=90),
        Bracket(name="91+", min_days=91),
    ]


class SelectionRules(BaseModel):
    """Which overdue customers go on the list: brackets (first that takes the customer's most
    overdue title), the amount overdue, and the risk classes (A..E) admitted."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    brackets: list[Bracket] = Field(default_factory=_default_brackets, min_length=1)
    min_amount: Decimal = Field(default=Decimal("0"), ge=0)
    max_amount: Decimal | None = Field(default=None, ge=0)
    risks: list[str] = Field(default_factory=lambda: ["A", "B", "C", "D", "E"], min_length=1)

    @property
    def min_days(self) -> int:
        """The fewest days overdue any bracket takes."""
        return min(b.min_days for b in self.brackets)


@dataclass(frozen=True)
class Debtor:
    """A customer store on the list: its bracket, amount and titles overdue."""

    code: str
    store: str
    bracket: str
    days_late: int
    amount: Decimal
    interest: Decimal
    titles: tuple[str, ...]
    broken_promise: bool

    @property
    def key(self) -> str:
        """The lead key of the customer in a list (``erp:code/store``)."""
        return f"erp:{self.code}/{self.store}"


def select_debtors(
    items: Sequence[CollectionItem], risks: Mapping[CustomerKey, str], rules: SelectionRules
) -> list[Debtor]:
    """The debtors ``rules`` pick from ``items``, most overdue first, then largest amount."""
    by_customer: dict[CustomerKey, list[CollectionItem]] = {}
    for item in items:
        by_customer.setdefault((item.customer_code, item.customer_store), []).append(item)
    picked = []
    for (code, store), titles in by_customer.items():
        if risks.get((code, store), "") not in rules.risks:
            continue
        days = max(t.days_late for t in titles)
        bracket = next((b for b in rules.brackets if b.takes(days)), None)
        amount = sum((t.balance for t in titles), Decimal(0))
        if bracket is None or amount < rules.min_amount:
            continue
        if rules.max_amount is not None and amount > rules.max_amount:
            continue
        ordered = sorted(titles, key=lambda t: (-t.days_late, t.prefix, t.number, t.installment))
        picked.append(
            Debtor(
                code, store, bracket.name, days, amount,
                sum((t.interest for t in titles), Decimal(0)),
                tuple(f"{t.prefix}-{t.number}-{t.installment}" for t in ordered),
                any(t.broken_promise for t in titles),
            )
        )  # fmt: skip
    return sorted(picked, key=lambda d: (-d.days_late, -d.amount, d.code, d.store))

"""Credit evaluation of an order's receivable-creating value, in the documented order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from erp_bridge.domain.entities import CREDIT, LIMIT_EXPIRED, RELEASED, Customer, Receivable
from erp_bridge.domain.money import cents, money
from erp_bridge.domain.policy import CreditPolicy


@dataclass(frozen=True)
class CreditDecision:
    """``code`` is the credit block (blank = approved); ``reason`` says which rule decided."""

    code: str
    reason: str

    @property
    def approved(self) -> bool:
        """True when the credit block is blank."""
        return self.code == RELEASED


def evaluate_credit(
    customer: Customer,
    scope: Sequence[Customer],
    open_titles: Sequence[Receivable],
    order_value: Decimal,
    today: date,
    policy: CreditPolicy,
) -> CreditDecision:
    """Judge ``order_value`` (receivable-creating items only) for ``customer``.

    ``customer`` holds the credit data judged (under scope ``all`` the customer's main store);
    ``scope`` are the customer stores whose balances count (one store or all), ``open_titles``
    their open receivables. Rules in order: credit analysis off, risk A, risk E, limit expiry,
    limit in the site's currency (with the optional small-order / percentage / class rules),
    secondary limit on receivables, overdue titles.
    """
    if not policy.enabled:
        return CreditDecision(RELEASED, "credit analysis off (MV_BLOQUEI)")
    expired = customer.credit_limit_expiry is not None and customer.credit_limit_expiry < today
    if customer.risk == "A":
        if expired:
            return CreditDecision(
                LIMIT_EXPIRED, f"credit limit expired on {customer.credit_limit_expiry}"
            )
        return CreditDecision(RELEASED, "risk A")
    if customer.risk == "E":
        return CreditDecision(CREDIT, "risk E")
    if expired:
        return CreditDecision(
            LIMIT_EXPIRED, f"credit limit expired on {customer.credit_limit_expiry}"
        )
    rate = policy.currency_rates.get(customer.limit_currency)
    if rate is None or rate <= 0:
        return CreditDecision(
            CREDIT, f"no rate for currency {customer.limit_currency} of the limit"
        )
    limit = cents(customer.credit_limit * rate)
    class_max = policy.class_max.get(customer.size_class)
    if class_max is not None and order_value > class_max:
        return CreditDecision(
            CREDIT,
            f"order {money(order_value)} over class {customer.size_class} "
            f"maximum {money(class_max)}",
        )
    pct = policy.max_percent_of_limit
    if pct is not None and order_value > limit * pct / 100:
        return CreditDecision(
            CREDIT, f"order {money(order_value)} over {pct.normalize():f}% of limit {money(limit)}"
        )
    small = policy.small_order_threshold
    if small is None or order_value > small:
        exposure = order_value + sum(
            (c.open_receivables + c.released_orders for c in scope), Decimal(0)
        )
        if exposure > limit:
            return CreditDecision(CREDIT, f"exposure {money(exposure)} over limit {money(limit)}")
    if customer.secondary_limit > 0:
        secondary = cents(customer.secondary_limit * rate)
        owed = order_value + sum((c.open_receivables for c in scope), Decimal(0))
        if owed > secondary:
            return CreditDecision(
                CREDIT,
                f"receivables with this order {money(owed)} over secondary limit "
                f"{money(secondary)}",
            )
    max_days = policy.overdue_days.get(customer.risk)
    if max_days is not None:
        late = [(today - t.due).days for t in open_titles if t.status == "open" and t.balance > 0]
        oldest = max(late, default=0)
        if oldest > max_days:
            return CreditDecision(
                CREDIT, f"title overdue {oldest} days (risk {customer.risk} allows {max_days})"
            )
    return CreditDecision(RELEASED, "within limit")

"""The site's credit parameters, named as in Protheus (SX6 ``MV_``): their kinds, defaults,
checks, and the release policy they make.

Values are kept as text, as Protheus keeps them: ``T``/``F`` for switches, whole days, money
in cents, percentages, ``L``/``C`` for the credit scope, exchange rates with up to 4 decimals.
A money or percentage parameter at ``0`` is off.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.money import MAX_AMOUNT, cents
from erp_bridge.domain.policy import CreditPolicy, ReleasePolicy


@dataclass(frozen=True)
class ParameterSpec:
    """One parameter: its kind (``switch``, ``days``, ``money``, ``percent``, ``scope``,
    ``rate``), its default and what it means."""

    name: str
    kind: str
    default: str
    meaning: str


SPECS: tuple[ParameterSpec, ...] = (
    ParameterSpec("MV_BLOQUEI", "switch", "T", "credit analysis of orders on (T) or off (F)"),
    ParameterSpec(
        "MV_CREDCLI",
        "scope",
        "L",
        "credit per store (L) or per customer (C): with C the limit, expiry, risk and class "
        "of the customer's main store (its lowest store code) are judged against the balances "
        "of all its stores",
    ),
    ParameterSpec("MV_RISCOB", "days", "30", "days a title may be overdue for risk B"),
    ParameterSpec("MV_RISCOC", "days", "15", "days a title may be overdue for risk C"),
    ParameterSpec("MV_RISCOD", "days", "5", "days a title may be overdue for risk D"),
    ParameterSpec(
        "MV_LIMINCR", "money", "0", "orders up to this value skip the limit check (0: none)"
    ),
    ParameterSpec(
        "MV_PERMAX", "percent", "0", "an order over this % of the limit is blocked (0: off)"
    ),
    ParameterSpec("MV_PEDIDOA", "money", "0", "largest order of a class A customer (0: none)"),
    ParameterSpec("MV_PEDIDOB", "money", "0", "largest order of a class B customer (0: none)"),
    ParameterSpec("MV_PEDIDOC", "money", "0", "largest order of a class C customer (0: none)"),
    ParameterSpec("MV_TXMOEDA2", "rate", "0", "value of currency 2 in currency 1 (limits)"),
    ParameterSpec("MV_TXMOEDA3", "rate", "0", "value of currency 3 in currency 1 (limits)"),
    ParameterSpec("MV_TXMOEDA4", "rate", "0", "value of currency 4 in currency 1 (limits)"),
    ParameterSpec("MV_TXMOEDA5", "rate", "0", "value of currency 5 in currency 1 (limits)"),
)
SPEC = MappingProxyType({s.name: s for s in SPECS})
MAX_DAYS = 36500


def normalize(name: str, value: str) -> str:
    """``value`` checked for parameter ``name`` and written the one way it is stored
    (``parameter_unknown``, ``parameter_invalid``)."""
    spec = SPEC.get(name)
    if spec is None:
        raise ErpError("parameter_unknown", f"no parameter {name}")
    text = value.strip().upper()
    if spec.kind == "switch":
        if text in ("T", ".T.", "TRUE", "S", "Y"):
            return "T"
        if text in ("F", ".F.", "FALSE", "N"):
            return "F"
        raise ErpError("parameter_invalid", f"{name} is T or F")
    if spec.kind == "scope":
        if text not in ("L", "C"):
            raise ErpError("parameter_invalid", f"{name} is L (per store) or C (per customer)")
        return text
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ErpError("parameter_invalid", f"{name} is a number") from None
    if not number.is_finite() or number < 0:
        raise ErpError("parameter_invalid", f"{name} is a number, 0 or more")
    if spec.kind == "days":
        if number != number.to_integral_value() or number > MAX_DAYS:
            raise ErpError("parameter_invalid", f"{name} is whole days, at most {MAX_DAYS}")
        return str(int(number))
    if spec.kind == "percent":
        if number > 100 or number != cents(number):
            raise ErpError("parameter_invalid", f"{name} is a percentage 0 to 100 (2 decimals)")
        return str(cents(number))
    if spec.kind == "rate":
        if number > 1_000_000 or number != number.quantize(Decimal("0.0001")):
            raise ErpError("parameter_invalid", f"{name} has at most 4 decimals")
        return format(number.quantize(Decimal("0.0001")), "f")
    if number > MAX_AMOUNT or number != cents(number):
        raise ErpError("parameter_invalid", f"{name} is money in cents")
    return str(cents(number))


def values_of(policy: ReleasePolicy) -> dict[str, str]:
    """The parameters as ``policy`` sets them (what a site has before it changes any)."""
    c = policy.credit
    out = {s.name: s.default for s in SPECS}
    out["MV_BLOQUEI"] = "T" if c.enabled else "F"
    out["MV_CREDCLI"] = "C" if c.scope == "all" else "L"
    for risk in ("B", "C", "D"):
        if risk in c.overdue_days:
            out[f"MV_RISCO{risk}"] = str(c.overdue_days[risk])
    if c.small_order_threshold is not None:
        out["MV_LIMINCR"] = str(cents(c.small_order_threshold))
    if c.max_percent_of_limit is not None:
        out["MV_PERMAX"] = str(cents(c.max_percent_of_limit))
    for size, amount in c.class_max.items():
        out[f"MV_PEDIDO{size}"] = str(cents(amount))
    for n, rate in c.currency_rates.items():
        if n != 1:
            out[f"MV_TXMOEDA{n}"] = format(rate.quantize(Decimal("0.0001")), "f")
    return out


def current(base: ReleasePolicy, stored: Mapping[str, str]) -> dict[str, str]:
    """Every parameter's value: the stored one, else what the base policy says."""
    return {**values_of(base), **{k: v for k, v in stored.items() if k in SPEC}}


def policy_of(base: ReleasePolicy, stored: Mapping[str, str]) -> ReleasePolicy:
    """``base`` with its credit rules taken from the site's stored parameters."""
    if not stored:
        return base
    v = current(base, stored)

    def money_or_none(name: str) -> Decimal | None:
        amount = Decimal(v[name])
        return amount if amount > 0 else None

    class_max = {
        size: amount
        for size in ("A", "B", "C")
        if (amount := money_or_none(f"MV_PEDIDO{size}")) is not None
    }
    rates = {n: Decimal(v[f"MV_TXMOEDA{n}"]) for n in (2, 3, 4, 5)}
    credit = CreditPolicy(
        scope="all" if v["MV_CREDCLI"] == "C" else "store",
        overdue_days=MappingProxyType({r: int(v[f"MV_RISCO{r}"]) for r in ("B", "C", "D")}),
        small_order_threshold=money_or_none("MV_LIMINCR"),
        max_percent_of_limit=money_or_none("MV_PERMAX"),
        class_max=MappingProxyType(class_max),
        enabled=v["MV_BLOQUEI"] == "T",
        currency_rates=MappingProxyType({1: Decimal(1), **rates}),
    )
    return replace(base, credit=credit)

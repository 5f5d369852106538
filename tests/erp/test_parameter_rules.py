"""Credit rules driven by the site's parameters, on the pure core: MV_CREDCLI per customer
(main store's credit data against every store's balances), MV_BLOQUEI, the secondary limit
(A1_LCFIN), the limit's currency, and what the position shows."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from erp_bridge.domain.books import Books
from erp_bridge.domain.collection import pay_title
from erp_bridge.domain.entities import Customer, Receivable
from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.orders import OrderLine, OrderRequest
from erp_bridge.domain.parameters import normalize, policy_of, values_of
from erp_bridge.domain.policy import ReleasePolicy
from erp_bridge.domain.position import customer_position
from erp_bridge.domain.release import place_order

from .conftest import TODAY

D = Decimal


def _order(books: Books, qty: int, store: str = "01", **params: str) -> str:
    policy = policy_of(ReleasePolicy(), params)
    req = OrderRequest("000001", store, (OrderLine("P1", D(qty)),))
    result = place_order(books, req, TODAY, policy)
    return result.lines[0].credit_block + "|" + result.credit_reason


def test_credcli_c_judges_the_main_store_limit_against_all_balances(
    books: Books, customer: Callable[..., Customer]
) -> None:
    """Store 02 has a large limit of its own, store 01 (the main store) 1000.00 with 950.00
    owed. Per store (L) store 02's order passes on its own limit; per customer (C) the main
    store's limit judges the balances of both stores and the order is held."""
    customer("01", open_receivables=D(950))
    customer("02", risk="C", credit_limit=D(50000))
    assert _order(books, 10, "02", MV_CREDCLI="L") == "|within limit"
    assert _order(books, 10, "02", MV_CREDCLI="C") == (
        "01|exposure 1150.00 over limit 1000.00"  # 100 + 100 released at 02 + 950
    )


def test_bloquei_off_secondary_limit_and_currency(
    books: Books, customer: Callable[..., Customer]
) -> None:
    """Credit analysis off passes a risk-E customer; a secondary limit of 300.00 holds an order
    that would bring receivables over it; a limit in currency 2 is converted at MV_TXMOEDA2
    and held when there is no rate."""
    customer(risk="E")
    assert _order(books, 1, MV_BLOQUEI="F") == "|credit analysis off (MV_BLOQUEI)"
    customer(risk="C", open_receivables=D(250), secondary_limit=D(300))
    assert _order(books, 10) == (
        "01|receivables with this order 350.00 over secondary limit 300.00"
    )
    customer(secondary_limit=D(0), limit_currency=2, credit_limit=D(100))
    assert _order(books, 10) == "01|no rate for currency 2 of the limit"
    assert _order(books, 10, MV_TXMOEDA2="5.4321") == "|within limit"  # limit 543.21


def test_parameter_values_are_checked_and_written_one_way() -> None:
    """Switches accept T/F/.T./.F., days are whole, money in cents, unknown names refused;
    a default policy reads back as the documented defaults."""
    assert normalize("MV_BLOQUEI", ".f.") == "F"
    assert normalize("MV_LIMINCR", "100") == "100.00"
    assert normalize("MV_RISCOB", " 45 ") == "45"
    for name, value in [("MV_RISCOB", "4.5"), ("MV_PERMAX", "101"), ("MV_TXMOEDA2", "-1")]:
        with pytest.raises(ErpError) as err:
            normalize(name, value)
        assert err.value.code == "parameter_invalid"
    with pytest.raises(ErpError) as err:
        normalize("MV_XYZ", "1")
    assert err.value.code == "parameter_unknown"
    defaults = values_of(ReleasePolicy())
    assert (defaults["MV_RISCOB"], defaults["MV_CREDCLI"], defaults["MV_BLOQUEI"]) == (
        "30",
        "L",
        "T",
    )


def test_position_shows_largest_delay_and_credit_blocked_value(
    books: Books, customer: Callable[..., Customer]
) -> None:
    """A title paid 12 days late makes the largest delay 12; an order held by credit shows its
    value in the position's credit-blocked orders."""
    c = customer(risk="C", credit_limit=D(100))
    due = TODAY.replace(day=1)
    books.add(Receivable("1", "X1", "A", "000001", "01", due, due, D(50), D(50)))
    c.open_receivables += D(50)
    pay_title(books, ("1", "X1", "A"), D(50), due.replace(day=13))
    _order(books, 20)
    pos = customer_position(books, "000001", "01", TODAY, D(0))
    assert (pos.largest_delay, pos.credit_blocked_orders) == (12, D("200.00"))

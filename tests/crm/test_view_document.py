"""The customer view document and the caller identification (pure, no I/O)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from crm_sync.domain.errors import CrmError
from crm_sync.domain.interactions import Interaction, check_interaction
from crm_sync.domain.lookup import caller_number, normalize_tax_id
from crm_sync.domain.view import assemble_view, marked_stale
from erp_bridge.domain.books import Books
from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.position import customer_position
from tests.crm.conftest import BAKERY_CNPJ, world

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


def bakery_position():  # type: ignore[no-untyped-def]
    books = Books()
    books.add_all(world())
    return customer_position(books, "000001", "01", date(2026, 11, 27), Decimal("0.001"))


def test_money_is_strings_with_cents_and_overdue_titles_are_split_out() -> None:
    """Limit, balances and title values are strings with two decimals; the title due on
    2026-11-07 is 20 days late on 2026-11-27 and is both open and overdue."""
    view = assemble_view(bakery_position(), orders=[], tickets=[], interactions=[], as_of=NOW)
    credit = view.credit
    assert (credit.credit_limit, credit.open_receivables, credit.overdue_amount) == (
        "1000.00",
        "250.50",
        "250.50",
    )
    assert credit.limit_balance == "749.50"
    assert credit.average_days_late == "3.3"
    assert credit.largest_delay_days == 20
    assert [t.number for t in view.open_titles] == ["000100"]
    assert [(t.balance, t.days_late) for t in view.overdue_titles] == [("250.50", 20)]
    assert view.registration.tax_id == BAKERY_CNPJ
    dumped = view.model_dump(mode="json")
    assert dumped["credit"]["credit_limit"] == "1000.00"


def test_lists_the_erp_cannot_give_are_marked_not_available() -> None:
    """Without an order or ticket list (Protheus) the view says they are not available,
    rather than showing the customer as having none."""
    view = assemble_view(bakery_position(), orders=None, tickets=None, interactions=[], as_of=NOW)
    assert (view.orders_available, view.tickets_available) == (False, False)


def test_a_stale_copy_carries_its_age() -> None:
    """The last copy served during an outage says stale and how old it is."""
    view = assemble_view(bakery_position(), orders=[], tickets=[], interactions=[], as_of=NOW)
    later = datetime(2026, 11, 27, 15, 2, 30, tzinfo=UTC)
    old = marked_stale(view, later)
    assert (old.stale, old.age_seconds, view.stale) == (True, 150.0, False)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("11987654321", "+5511987654321"),
        ("(11) 98765-4321", "+5511987654321"),
        ("+55 11 98765 4321", "+5511987654321"),
        ("+1 212 555 0100", "+12125550100"),
    ],
)
def test_caller_numbers_become_e164_with_brazil_by_default(raw: str, e164: str) -> None:
    """A national number is read as Brazilian; an international one keeps its country."""
    assert caller_number(raw) == e164


@pytest.mark.parametrize("raw", ["", "anonymous", "123"])
def test_a_caller_without_a_usable_number_is_refused_clearly(raw: str) -> None:
    """Anonymous or too short caller ids give ``phone_invalid``."""
    with pytest.raises(ErpError) as err:
        caller_number(raw)
    assert err.value.code == "phone_invalid"


def test_tax_ids_are_checked_by_the_erps_own_rule() -> None:
    """A CNPJ with punctuation is accepted; a wrong check digit is ``tax_id_invalid``."""
    assert normalize_tax_id("11.222.333/0001-81") == "11222333000181"
    with pytest.raises(ErpError) as err:
        normalize_tax_id("11.222.333/0001-82")
    assert err.value.code == "tax_id_invalid"


def test_an_interaction_needs_call_customer_agent_and_an_end_after_its_start() -> None:
    """Missing agent, or an end before the start, is ``interaction_invalid``."""
    good = Interaction("c1", "000001", "01", "2001", "vendas", NOW)
    check_interaction(good)
    for bad in (
        Interaction("c1", "000001", "01", "", "vendas", NOW),
        Interaction("c1", "000001", "01", "2001", "vendas", NOW, NOW.replace(hour=14)),
    ):
        with pytest.raises(CrmError) as err:
            check_interaction(bad)
        assert err.value.code == "interaction_invalid"

"""Pure unit tests of the inbound menu core: (caller number, keys pressed) → queue."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr import IvrMenu, RoutingDecision, caller_digits, default_menu, route_caller


def test_default_menu_keys() -> None:
    """1 sales, 2 support, 3 collections; what the recorded calls expect."""
    menu = default_menu()
    assert route_caller(menu, "5511999990004", "2") == RoutingDecision("suporte", "key", "2")
    assert route_caller(menu, "5511999990004", "1").queue == "vendas"
    assert route_caller(menu, "5511999990004", "3").queue == "cobranca"


def test_no_key_goes_to_the_default_queue() -> None:
    """A caller who presses nothing is routed to sales by default."""
    assert route_caller(default_menu(), "5511999990001", "") == RoutingDecision(
        "vendas", "default", ""
    )


def test_unlisted_key_goes_to_the_default_queue_and_says_so() -> None:
    """A key the menu does not offer falls back to the default, marked ``unknown_key``."""
    decision = route_caller(default_menu(), "5511999990001", "9")
    assert decision == RoutingDecision("vendas", "unknown_key", "9")


def test_known_caller_rule_applies_when_no_listed_key_is_pressed() -> None:
    """A caller on the collections list goes to ``cobranca`` unless he chose a listed key."""
    menu = IvrMenu(
        options={"1": "vendas"},
        default_queue="vendas",
        caller_queues={"+55 11 99999-0002": "cobranca"},
    )
    assert route_caller(menu, "5511999990002", "") == RoutingDecision("cobranca", "caller", "")
    assert route_caller(menu, "+5511999990002", "7").queue == "cobranca"
    assert route_caller(menu, "5511999990002", "1") == RoutingDecision("vendas", "key", "1")
    assert route_caller(menu, None, "").queue == "vendas"


def test_multi_digit_options() -> None:
    """With ``max_digits`` 2, ``12`` is one option and ``1`` another."""
    menu = IvrMenu(options={"1": "vendas", "12": "vip"}, default_queue="vendas", max_digits=2)
    assert route_caller(menu, None, "12").queue == "vip"
    assert route_caller(menu, None, "1").queue == "vendas"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"options": {"a": "vendas"}}, "not made of 0-9"),
        ({"options": {"12": "vendas"}}, "longer than max_digits"),
        ({"options": {"1": "two words"}}, "invalid queue"),
        ({"default_queue": ""}, "default_queue"),
        ({"timeout_ms": 0}, "timeout_ms"),
        ({"max_digits": 0}, "max_digits"),
        ({"caller_queues": {"anon": "vendas"}}, "has no digits"),
        ({"greeting_escape_digits": "12x"}, "greeting_escape_digits"),
    ],
)
def test_bad_menus_are_refused_with_the_reason(kwargs: dict[str, object], message: str) -> None:
    """A menu that could not work is refused when built, naming what is wrong."""
    base: dict[str, object] = {"options": {"1": "vendas"}, "default_queue": "vendas"}
    base.update(kwargs)
    with pytest.raises(ValueError, match=message):
        IvrMenu(**base)  # type: ignore[arg-type]


def test_menu_cannot_be_changed_through_the_mapping_it_was_built_from() -> None:
    """Changing the dict used to build a menu does not change the menu."""
    options = {"1": "vendas"}
    menu = IvrMenu(options=options, default_queue="vendas")
    options["1"] = "suporte"
    assert route_caller(menu, None, "1").queue == "vendas"


@given(caller=st.one_of(st.none(), st.text()), digits=st.text(alphabet="0123456789*#", max_size=3))
def test_every_caller_gets_a_queue_of_the_menu(caller: str | None, digits: str) -> None:
    """Whatever is pressed, the decision is one of the menu's queues and keeps the keys."""
    menu = default_menu()
    decision = route_caller(menu, caller, digits)
    assert decision.queue in {*menu.options.values(), menu.default_queue}
    assert decision.digits == digits


def test_caller_digits() -> None:
    """Caller numbers are compared by their digits only."""
    assert caller_digits("+55 (11) 99999-0002") == "5511999990002"
    assert caller_digits(None) == ""

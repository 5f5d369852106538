"""Release rules on the pure core, case by case with the Protheus block codes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from erp_bridge.domain.books import Books
from erp_bridge.domain.entities import Customer, Receivable, ReleaseRow, Stock
from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.orders import OrderLine, OrderRequest
from erp_bridge.domain.policy import CreditPolicy, ReleasePolicy
from erp_bridge.domain.release import (
    place_order,
    reject_customer,
    reject_order,
    release_credit,
    release_customer,
    release_stock,
    reserve_item,
)

from .conftest import TODAY

D = Decimal


def order(*lines: OrderLine, store: str = "01", **kw: Any) -> OrderRequest:
    return OrderRequest("000001", store, lines, **kw)


def overdue_title(books: Books, days: int, store: str = "01", balance: str = "10.00") -> None:
    due = TODAY - timedelta(days=days)
    books.add(Receivable("1", f"T{days}", "A", "000001", store, due, due, D(balance), D(balance)))
    books.customer("000001", store).open_receivables += D(balance)


@dataclass(frozen=True)
class CreditCase:
    name: str
    customer: dict[str, Any]
    value_qty: int  # quantity of P1 at 10.00
    credit_block: str
    policy: CreditPolicy = field(default_factory=CreditPolicy)
    overdue_days: int | None = None


CREDIT_CASES = [
    CreditCase("risk A without limit", {"risk": "A", "credit_limit": D(0)}, 50, ""),
    CreditCase(
        "risk A expired limit",
        {"risk": "A", "credit_limit_expiry": TODAY - timedelta(days=1)},
        1,
        "04",
    ),
    CreditCase("risk E always", {"risk": "E", "credit_limit": D(99999)}, 1, "01"),
    CreditCase(
        "risk B expired", {"risk": "B", "credit_limit_expiry": TODAY - timedelta(days=1)}, 1, "04"
    ),
    CreditCase("risk B expiring today", {"risk": "B", "credit_limit_expiry": TODAY}, 1, ""),
    CreditCase("risk C within limit", {"risk": "C"}, 100, ""),
    CreditCase("risk C over limit", {"risk": "C", "credit_limit": D("999.99")}, 100, "01"),
    CreditCase(
        "exposure counts receivables and released orders",
        {"risk": "D", "open_receivables": D(500), "released_orders": D(400)},
        11,
        "01",
    ),
    CreditCase(
        "small order approved over the limit",
        {"risk": "C", "credit_limit": D(0)},
        5,
        "",
        CreditPolicy(small_order_threshold=D(50)),
    ),
    CreditCase(
        "over a percentage of the limit",
        {"risk": "C"},
        30,
        "01",
        CreditPolicy(max_percent_of_limit=D(25)),
    ),
    CreditCase(
        "class maximum",
        {"risk": "B", "size_class": "C"},
        30,
        "01",
        CreditPolicy(class_max={"C": D(200)}),
    ),
    CreditCase("risk B title 30 days late", {"risk": "B"}, 1, "", overdue_days=30),
    CreditCase("risk B title 31 days late", {"risk": "B"}, 1, "01", overdue_days=31),
    CreditCase("risk D title 6 days late", {"risk": "D"}, 1, "01", overdue_days=6),
    CreditCase("risk A ignores late titles", {"risk": "A"}, 1, "", overdue_days=400),
]


@pytest.mark.parametrize("case", CREDIT_CASES, ids=lambda c: c.name)
def test_credit_rules(books: Books, customer: Callable[..., Customer], case: CreditCase) -> None:
    """Each credit rule gives its block code on the order's release row."""
    customer(**case.customer)
    if case.overdue_days is not None:
        overdue_title(books, case.overdue_days)
        books.customer("000001", "01").open_receivables -= D("10.00")  # keep exposure unchanged
    result = place_order(
        books, order(OrderLine("P1", D(case.value_qty))), TODAY, ReleasePolicy(case.policy)
    )
    assert [ln.credit_block for ln in result.lines] == [case.credit_block]
    expected_status = "released" if case.credit_block == "" else "blocked_credit"
    assert result.status == expected_status


def test_only_receivable_items_are_judged(books: Books, customer: Callable[..., Customer]) -> None:
    """A risk E customer still gets free goods (operation 503) released; the sale is held."""
    customer(risk="E")
    result = place_order(
        books,
        order(OrderLine("P1", D(1), "501"), OrderLine("P3", D(1), "503")),
        TODAY,
        ReleasePolicy(),
    )
    assert [(ln.item, ln.credit_block, ln.stock_block) for ln in result.lines] == [
        ("01", "01", "02"),
        ("02", "", ""),
    ]


@pytest.mark.parametrize(("scope", "block"), [("store", ""), ("all", "01")])
def test_multi_store_scope(
    books: Books, customer: Callable[..., Customer], scope: str, block: str
) -> None:
    """A late title at store 01 blocks an order of store 02 only when scope is all stores."""
    customer("02", risk="C", credit_limit=D(1000))
    overdue_title(books, 40, store="01")
    policy = ReleasePolicy(CreditPolicy(scope=scope))
    result = place_order(books, order(OrderLine("P1", D(1)), store="02"), TODAY, policy)
    assert result.lines[0].credit_block == block


def test_scope_all_adds_exposure_of_every_store(
    books: Books, customer: Callable[..., Customer]
) -> None:
    """Receivables of the other store count against the limit under scope all."""
    customer("01", open_receivables=D(950))
    customer("02", risk="C", credit_limit=D(1000))
    result = place_order(
        books,
        order(OrderLine("P1", D(10)), store="02"),
        TODAY,
        ReleasePolicy(CreditPolicy(scope="all")),
    )
    assert result.lines[0].credit_block == "01"
    assert "exposure 1050.00" in result.credit_reason


def test_stock_short_blocks_02_without_partial(books: Books) -> None:
    """Ten machines with five in stock and no partial release: one row blocked 02."""
    result = place_order(
        books, order(OrderLine("P2", D(10)), allow_partial=False), TODAY, ReleasePolicy()
    )
    assert [(ln.quantity, ln.credit_block, ln.stock_block) for ln in result.lines] == [
        (D(10), "", "02")
    ]
    assert result.status == "blocked_stock"
    assert books.must(Stock, "P2", "01", what="stock").allocated == 0


def test_partial_release_splits_the_row(books: Books, customer: Callable[..., Customer]) -> None:
    """Ten machines with five in stock: five released, five wait with 02; balances follow."""
    result = place_order(books, order(OrderLine("P2", D(10))), TODAY, ReleasePolicy())
    assert [(ln.quantity, ln.value, ln.stock_block) for ln in result.lines] == [
        (D(5), D("250.00"), ""),
        (D(5), D("250.00"), "02"),
    ]
    assert result.status == "partly_released"
    stock = books.must(Stock, "P2", "01", what="stock")
    assert (stock.allocated, stock.in_sales_orders) == (D(5), D(5))
    cust = books.customer("000001", "01")
    assert (cust.released_orders, cust.open_orders) == (D(250), D(250))


def test_partial_split_keeps_cents(books: Books) -> None:
    """Splitting 10 x 3.33 = 33.30 over available 7 keeps the total to the cent."""
    books.must(Stock, "P3", "01", what="stock").on_hand = D(7)
    result = place_order(books, order(OrderLine("P3", D(10))), TODAY, ReleasePolicy())
    assert sum(ln.value for ln in result.lines) == D("33.30")
    assert [ln.value for ln in result.lines] == [D("23.31"), D("9.99")]


def test_whole_order_waits_when_one_item_is_short(books: Books) -> None:
    """Release mode whole: one short item holds every item with 02."""
    req = order(OrderLine("P1", D(1)), OrderLine("P2", D(6)), release_mode="whole")
    result = place_order(books, req, TODAY, ReleasePolicy())
    assert [ln.stock_block for ln in result.lines] == ["02", "02"]
    assert books.must(Stock, "P1", "01", what="stock").allocated == 0


def test_own_reservation_counts_as_available(books: Books) -> None:
    """Stock reserved for this very item is available to it, and consumed on release."""
    first = place_order(
        books, order(OrderLine("P2", D(4))), TODAY, ReleasePolicy(auto_release=False)
    )
    reserve_item(books, first.order, "01", D(4))
    other = place_order(
        books, order(OrderLine("P2", D(2)), allow_partial=False), TODAY, ReleasePolicy()
    )
    assert other.lines[0].stock_block == "02"
    from erp_bridge.domain.release import evaluate_order

    again = evaluate_order(books, first.order, TODAY, ReleasePolicy(), automatic=False)
    assert again.lines[0].stock_block == ""
    stock = books.must(Stock, "P2", "01", what="stock")
    assert (stock.reserved, stock.allocated) == (D(0), D(4))


def test_delivery_date_outside_slack_is_not_released(books: Books) -> None:
    """Automatic release skips items due after today + slack; within slack they go."""
    later = TODAY + timedelta(days=3)
    req = order(OrderLine("P1", D(1), delivery_date=later))
    assert place_order(books, req, TODAY, ReleasePolicy(delivery_slack_days=2)).lines == ()
    result = place_order(books, req, TODAY, ReleasePolicy(delivery_slack_days=3))
    assert result.lines[0].stock_block == ""


def test_releasing_credit_re_evaluates_stock(
    books: Books, customer: Callable[..., Customer]
) -> None:
    """A credit-held order of 6 machines (5 in stock) releases 5 and keeps 1 on 02."""
    customer(credit_limit=D(10))
    held = place_order(books, order(OrderLine("P2", D(6))), TODAY, ReleasePolicy())
    assert held.status == "blocked_credit"
    assert books.customer("000001", "01").credit_blocked_orders == D(300)
    result = release_credit(books, held.order, TODAY)
    assert [(ln.quantity, ln.credit_block, ln.stock_block) for ln in result.lines] == [
        (D(5), "", ""),
        (D(1), "", "02"),
    ]
    assert books.customer("000001", "01").credit_blocked_orders == 0


def test_stock_released_later_when_stock_arrives(books: Books) -> None:
    """A 02 row goes through once stock is received and stock is re-evaluated."""
    held = place_order(
        books, order(OrderLine("P2", D(8)), allow_partial=False), TODAY, ReleasePolicy()
    )
    books.must(Stock, "P2", "01", what="stock").on_hand += D(3)
    assert release_stock(books, held.order, TODAY).status == "released"


def test_reject_marks_09_and_frees_balances(
    books: Books, customer: Callable[..., Customer]
) -> None:
    """Rejecting a held order writes 09 and leaves nothing open for the customer."""
    customer(risk="E")
    held = place_order(books, order(OrderLine("P1", D(3))), TODAY, ReleasePolicy())
    result = reject_order(books, held.order, TODAY)
    assert [ln.credit_block for ln in result.lines] == ["09"]
    assert result.status == "rejected"
    cust = books.customer("000001", "01")
    assert (cust.open_orders, cust.credit_blocked_orders) == (0, 0)
    assert books.must(Stock, "P1", "01", what="stock").in_sales_orders == 0


def test_release_by_customer_up_to_an_amount(
    books: Books, customer: Callable[..., Customer]
) -> None:
    """Three held orders of 100, 200, 300: releasing up to 350 takes the first two only."""
    customer(credit_limit=D(0))
    numbers = [
        place_order(books, order(OrderLine("P1", D(q))), TODAY, ReleasePolicy()).order
        for q in (10, 20, 30)
    ]
    released = release_customer(books, "000001", "01", TODAY, up_to=D(350))
    assert [r.order for r in released] == numbers[:2]
    assert books.customer("000001", "01").released_orders == D(300)
    rejected = reject_customer(books, "000001", "01", TODAY)
    assert [r.order for r in rejected] == numbers[2:]


def test_blocked_customer_takes_no_order(books: Books, customer: Callable[..., Customer]) -> None:
    """A blocked customer gets customer_blocked and nothing is written."""
    customer(blocked=True)
    with pytest.raises(ErpError) as err:
        place_order(books, order(OrderLine("P1", D(1))), TODAY, ReleasePolicy())
    assert err.value.code == "customer_blocked"
    assert books.all(ReleaseRow) == []


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (OrderLine("NOPE", D(1)), "product_unknown"),
        (OrderLine("P1", D(0)), "quantity_invalid"),
        (OrderLine("P1", D("0.00001")), "quantity_invalid"),
        (OrderLine("P1", D(1), "999"), "operation_unknown"),
        (OrderLine("P1", D(1), unit_price=D("1.001")), "price_invalid"),
        (OrderLine("P1", D(1), warehouse="99"), "stock_unknown"),
    ],
)
def test_bad_lines_are_refused_whole(books: Books, line: OrderLine, code: str) -> None:
    """A bad item refuses the whole order with a stable code; stock is untouched."""
    with pytest.raises(ErpError) as err:
        place_order(books, order(OrderLine("P1", D(1)), line), TODAY, ReleasePolicy())
    assert err.value.code == code
    assert books.must(Stock, "P1", "01", what="stock").in_sales_orders == 0
    assert books.customer("000001", "01").open_orders == 0


def test_today_is_a_parameter(books: Books) -> None:
    """The order takes the given date, not the clock."""
    place_order(books, order(OrderLine("P1", D(1))), date(2030, 1, 2), ReleasePolicy())
    assert books.all(ReleaseRow)[0].evaluated_on == date(2030, 1, 2)


def test_reversed_release_goes_back_to_open(books: Books) -> None:
    """Reversing a released row (05) frees its stock and value; the next release attempt
    makes a new row for the same quantity."""
    from erp_bridge.domain.release import evaluate_order, reverse_release

    placed = place_order(books, order(OrderLine("P2", D(3))), TODAY, ReleasePolicy())
    result = reverse_release(books, placed.order, TODAY)
    assert [(ln.credit_block, ln.stock_block) for ln in result.lines] == [("05", "")]
    assert result.status == "open"
    stock = books.must(Stock, "P2", "01", what="stock")
    assert (stock.allocated, stock.in_sales_orders) == (D(0), D(3))
    cust = books.customer("000001", "01")
    assert (cust.released_orders, cust.open_orders) == (D(0), D(150))
    again = evaluate_order(books, placed.order, TODAY, ReleasePolicy(), automatic=True)
    assert [(ln.quantity, ln.credit_block, ln.stock_block) for ln in again.lines] == [
        (D(3), "05", ""),
        (D(3), "", ""),
    ]
    with pytest.raises(ErpError) as err:
        reverse_release(books, placed.order, TODAY, items=["02"])
    assert err.value.code == "nothing_to_reverse"


def test_stock_blocked_by_hand_then_released_again(books: Books) -> None:
    """A released row blocked by hand (03) frees its allocation; releasing stock takes it."""
    from erp_bridge.domain.release import hold_stock

    placed = place_order(books, order(OrderLine("P2", D(3))), TODAY, ReleasePolicy())
    held = hold_stock(books, placed.order, TODAY)
    assert [(ln.credit_block, ln.stock_block) for ln in held.lines] == [("", "03")]
    assert held.status == "blocked_stock"
    assert books.must(Stock, "P2", "01", what="stock").allocated == 0
    assert books.customer("000001", "01").released_orders == 0
    again = release_stock(books, placed.order, TODAY)
    assert [(ln.credit_block, ln.stock_block) for ln in again.lines] == [("", "")]
    assert books.must(Stock, "P2", "01", what="stock").allocated == D(3)

"""Telecobrança lists: the selection rules against hand-computed cases, and a list built from
the embedded ERP (SQLite and PostgreSQL) refreshed as titles are paid and promises broken."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from atende.db import make_engine
from campaigns.app.refresh_collection_list import refresh_collection_list
from campaigns.domain.collection_rules import Bracket, SelectionRules, select_debtors
from campaigns.sql.store import SqlListStore
from campaigns.sql.tables import leads
from erp_bridge.domain.collection import CollectionItem
from erp_bridge.domain.entities import Customer, Receivable
from erp_bridge.embedded.adapter import EmbeddedErp
from erp_bridge.embedded.seed import add_records
from erp_bridge.port import PromiseRequest

from .helpers import cpf
from .test_cli import restore_logging  # noqa: F401 - the fixture

D = Decimal


def item(code: str, number: str, days: int, balance: str, broken: bool = False) -> CollectionItem:
    return CollectionItem(code, "01", "A", number, "1", date(2026, 1, 1), days, D(balance),
                          D("0"), broken)  # fmt: skip


def test_selection_by_bracket_amount_and_risk() -> None:
    """Hand-computed: C1 has titles 10 and 60 days late (150.00 in all): bracket 31-90 by its
    most overdue title; C2 (3 days, 30.00) is under the 50.00 floor; C3 is risk E, not
    admitted; C4 (5 days, 500.00) is in 1-30; C5 (400 days, 9,000.00) is over the 5,000.00
    ceiling; C6 (95 days, 80.00, broken promise) is in 91+. Most overdue first."""
    items = [
        item("C1", "1", 10, "100.00"), item("C1", "2", 60, "50.00"),
        item("C2", "3", 3, "30.00"), item("C3", "4", 200, "70.00"),
        item("C4", "5", 5, "500.00"), item("C5", "6", 400, "9000.00"),
        item("C6", "7", 95, "80.00", broken=True),
    ]  # fmt: skip
    risks = {(f"C{n}", "01"): r for n, r in zip(range(1, 7), "CBEAAD", strict=True)}
    rules = SelectionRules(min_amount=D("50"), max_amount=D("5000"), risks=["A", "B", "C", "D"])
    picked = select_debtors(items, risks, rules)
    assert [(d.code, d.bracket, d.days_late, d.amount, d.broken_promise) for d in picked] == [
        ("C6", "91+", 95, D("80.00"), True),
        ("C1", "31-90", 60, D("150.00"), False),
        ("C4", "1-30", 5, D("500.00"), False),
    ]
    assert picked[1].titles == ("A-2-1", "A-1-1") and picked[1].key == "erp:C1/01"
    only_late = SelectionRules(brackets=[Bracket(name="late", min_days=30, max_days=100)])
    assert [d.code for d in select_debtors(items, risks, only_late)] == ["C6", "C1"]  # C3: 200
    assert only_late.min_days == 30
    with pytest.raises(ValueError, match="max_days"):
        Bracket(name="x", min_days=10, max_days=5)


TODAY = date(2026, 11, 27)


def _customer(code: str, risk: str, phone: str, n: int) -> Customer:
    return Customer(code, "01", f"Cliente {code}", cpf(n), phone=phone, risk=risk)


def _title(code: str, number: str, due: date, value: str) -> Receivable:
    return Receivable("NF", number, "1", code, "01", date(2026, 1, 1), due, D(value), D(value))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The migrated database with five customers and their titles in the embedded ERP."""
    eng = make_engine(database_url)
    await add_records(eng, [
        _customer("000001", "C", "+5511987650001", 1),
        _customer("000002", "B", "+5511987650002", 2),
        _customer("000003", "E", "+5511987650003", 3),
        _customer("000004", "A", "+5581987650004", 4),
        _customer("000005", "A", "+5511987650005", 5),
        _title("000001", "101", date(2026, 11, 17), "100.00"),  # 10 days
        _title("000001", "102", date(2026, 9, 28), "50.00"),  # 60 days
        _title("000002", "201", date(2026, 11, 24), "30.00"),  # 3 days, under the floor
        _title("000003", "301", date(2026, 5, 11), "700.00"),  # risk E
        _title("000004", "401", date(2026, 11, 22), "500.00"),  # 5 days
        _title("000005", "501", date(2026, 12, 20), "90.00"),  # not due yet
    ])  # fmt: skip
    yield eng
    await eng.dispose()


async def _leads(engine: AsyncEngine) -> dict[str, tuple[str, str, str]]:
    query = sa.select(leads.c.lead_key, leads.c.status, leads.c.custom)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return {k: (s, c["amount"], c["broken_promise"]) for k, s, c in rows}


async def test_list_follows_payments_and_broken_promises(engine: AsyncEngine) -> None:
    """The list takes 000001 (150.00, 60 days) and 000004 (500.00); paying 000004's title
    settles it; 000001's promise for 11-30 takes it off; on 11-30 it stays off; on 12-01
    (the day after the promised date, nothing paid) it is back, flagged."""
    now = [datetime(2026, 11, 27, 15, tzinfo=UTC)]
    erp = EmbeddedErp(engine, clock=lambda: now[0])
    store = SqlListStore(engine)
    rules = SelectionRules(min_amount=D("50"), risks=["A", "B", "C", "D"])

    async def refresh() -> tuple[int, int, int, int]:
        r = await refresh_collection_list(
            erp, store, "cobranca-nov", rules, campaign="Cobra", clock=lambda: now[0]
        )
        return r.added, r.kept, r.reopened, r.settled

    assert await refresh() == (2, 0, 0, 0)
    assert await _leads(engine) == {
        "erp:000001/01": ("new", "150.00", "no"), "erp:000004/01": ("new", "500.00", "no"),
    }  # fmt: skip
    assert await refresh() == (0, 2, 0, 0)  # run again: nothing doubled
    await erp.receive_payment(("NF", "401", "1"), D("500.00"))
    assert await refresh() == (0, 1, 0, 1)
    await erp.register_promise(
        PromiseRequest("000001", "01", (("NF", "101", "1"), ("NF", "102", "1")),
                       date(2026, 11, 30), D("150.00"))
    )  # fmt: skip
    assert await refresh() == (0, 0, 0, 1)
    assert {k: v[0] for k, v in (await _leads(engine)).items()} == {
        "erp:000001/01": "settled", "erp:000004/01": "settled",
    }  # fmt: skip
    now[0] = datetime(2026, 11, 30, 20, tzinfo=UTC)  # the promised date: still promised
    assert await refresh() == (0, 0, 0, 0)
    now[0] = datetime(2026, 12, 1, 12, tzinfo=UTC)  # the day after: broken
    assert await refresh() == (0, 0, 1, 0)
    back = await _leads(engine)
    assert back["erp:000001/01"][0] == "new" and back["erp:000001/01"][2] == "yes"
    summary = await store.lists()
    assert [(s.name, s.campaign, s.leads, s.remaining) for s in summary] == [
        ("cobranca-nov", "Cobra", 2, 1)
    ]


async def test_collection_list_through_the_api(engine: AsyncEngine, database_url: str) -> None:
    """The manager builds the list for a campaign by rules (attached to it), gets the counts,
    runs it again without doubling; bad rules are 422 with the field; agents are refused; an
    engine without an ERP answers 503."""
    from .web import campaign_server

    fixed = datetime(2026, 11, 27, 15, tzinfo=UTC)
    async with campaign_server(
        database_url, erp=lambda eng: EmbeddedErp(eng, clock=lambda: fixed)
    ) as client:
        _, made = await client.call(
            "POST", "/api/campaigns",
            {"name": "Cobra", "kind": "telecobranca", "queue": "cobranca",
             "caller_id": "1133334444"},
        )  # fmt: skip
        request = {
            "list": "cobranca-nov", "campaign": made["id"],
            "rules": {"min_amount": "50", "risks": ["A", "B", "C", "D"],
                      "brackets": [{"name": "late", "min_days": 1}]},
        }  # fmt: skip
        status, body = await client.call("POST", "/api/campaigns/collection-lists", request)
        assert status == 200, body
        assert (body["added"], body["kept"], body["settled"]) == (2, 0, 0)
        status, body = await client.call("POST", "/api/campaigns/collection-lists", request)
        assert (body["added"], body["kept"]) == (0, 2)
        _, shown = await client.call("GET", f"/api/campaigns/{made['id']}")
        assert len(shown["list_ids"]) == 1
        _, figures = await client.call("GET", f"/api/campaigns/{made['id']}/figures")
        assert figures["remaining_leads"] == 2
        bad = {**request, "rules": {"brackets": [{"name": "x", "min_days": 9, "max_days": 2}]}}
        status, body = await client.call("POST", "/api/campaigns/collection-lists", bad)
        assert (status, body["error"]["code"]) == (422, "invalid_request")
        assert body["error"]["fields"][0]["field"].startswith("rules.brackets.0")
        status, _ = await client.call(
            "POST", "/api/campaigns/collection-lists", request, role="agent"
        )
        assert status == 403
        client.campaigns.erp = None  # an engine without an ERP
        status, body = await client.call("POST", "/api/campaigns/collection-lists", {"list": "x"})
        assert (status, body["error"]["code"]) == (503, "erp_unavailable")


@pytest.mark.usefixtures("restore_logging")
def test_collection_refresh_from_the_command_line(
    engine: AsyncEngine, database_url: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """``atende campaign collection-refresh`` on the embedded ERP: customers 000001 (150.00)
    and 000004 (500.00) pass a 100.00 floor and risks A-D; a second run keeps them."""
    from atende.cli import main

    monkeypatch.setenv("ATENDE_DATABASE_URL", database_url)
    monkeypatch.setenv("ATENDE_LOG_LEVEL", "warning")
    args = ["campaign", "collection-refresh", "--list", "cob", "--min-amount", "100",
            "--risks", "A,B,C,D", "--bracket", "all=1-"]  # fmt: skip
    assert main(args) == 0
    assert "list cob: 2 added, 0 kept, 0 reopened, 0 settled" in capsys.readouterr().out
    assert main(args) == 0
    assert "list cob: 0 added, 2 kept" in capsys.readouterr().out
    assert main([*args[:-2], "--bracket", "x=a-b"]) == 1
    assert "bracket_invalid" in capsys.readouterr().err

"""The credit analyst's actions through the API and the CLI: releases that change nothing are
409 with the reason; reversal (05), hand stock block (03) and stock release; who did what,
when and why is kept in the order's history."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from atende.auth import Role
from atende.cli import main
from tests.erp_api.conftest import NOW, RISK_A, RISK_C, ErpServer


async def _place(s: ErpServer, customer: tuple[str, str], qty: str, **extra: str) -> str:
    body = {
        "customer_code": customer[0],
        "customer_store": customer[1],
        "lines": [{"product": "P2", "quantity": qty}],
        **extra,
    }
    status, placed = await s.call("POST", "/api/erp/orders", json=body)
    assert status == 201, placed
    return str(placed["order"])


async def test_releases_that_change_nothing_are_409_with_the_reason(
    erp_server: ErpServer,
) -> None:
    """Releasing credit of an order held by stock only, releasing its stock while stock is
    still short, releasing a rejected (09) order, rejecting it again, reversing or holding an
    order with nothing released: each a 409 whose message says why; the order is unchanged."""
    s = erp_server
    stock_only = await _place(s, RISK_A, "171", release_mode="whole")
    sup = Role.SUPERVISOR
    cases = [
        ("credit/orders/{n}/release", "nothing_to_release", "held by stock only"),
        ("stock/orders/{n}/release", "stock_short", "item 01 P2: 170 available, 171 waiting"),
        ("credit/orders/{n}/reverse", "nothing_to_reverse", "no released rows"),
        ("stock/orders/{n}/hold", "nothing_to_hold", "no released rows"),
    ]
    for path, code, said in cases:
        status, body = await s.call("POST", "/api/erp/" + path.format(n=stock_only), sup)
        assert (status, body["error"]["code"]) == (409, code), path
        assert said in body["error"]["message"], body
    status, state = await s.call("GET", f"/api/erp/orders/{stock_only}")
    assert state["status"] == "blocked_stock"
    assert [h["action"] for h in state["history"]] == ["entered"]

    status, rejected = await s.call(
        "POST",
        f"/api/erp/credit/orders/{stock_only}/reject",
        sup,
        json={"reason": "cliente desistiu"},
    )
    assert status == 200 and rejected["status"] == "rejected"
    for path, code, said in [
        ("credit/orders/{n}/release", "nothing_to_release", "was rejected (09)"),
        ("credit/orders/{n}/reject", "nothing_to_reject", "it is rejected"),
    ]:
        status, body = await s.call("POST", "/api/erp/" + path.format(n=stock_only), sup)
        assert (status, body["error"]["code"]) == (409, code), path
        assert said in body["error"]["message"], body
    status, body = await s.call("POST", f"/api/erp/credit/customers/{RISK_C[0]}/01/release", sup)
    assert (status, body["error"]["code"]) == (409, "nothing_to_release")


async def test_hold_release_stock_reverse_and_history(erp_server: ErpServer) -> None:
    """A released order is blocked by hand (03), released again through the stock release,
    then its release reversed (05); a credit-held order is released by an analyst with a
    reason. The order's history lists each step with the user, the time and the reason."""
    s = erp_server
    sup = Role.SUPERVISOR
    number = await _place(s, RISK_A, "5")
    status, held = await s.call(
        "POST", f"/api/erp/stock/orders/{number}/hold", sup, json={"reason": "pedido alterado"}
    )
    assert status == 200 and held["status"] == "blocked_stock"
    assert held["lines"][0]["stock_block"] == "03"
    status, again = await s.call("POST", f"/api/erp/stock/orders/{number}/release", sup)
    assert status == 200 and again["status"] == "released"
    status, reversed_ = await s.call(
        "POST",
        f"/api/erp/credit/orders/{number}/reverse",
        Role.ADMIN,
        json={"items": ["01"], "reason": "erro de digitacao"},
    )
    assert status == 200 and [ln["credit_block"] for ln in reversed_["lines"]][-1] == "05"
    status, state = await s.call("GET", f"/api/erp/orders/{number}")
    history = [(h["action"], h["by"], h["why"], h["status"]) for h in state["history"]]
    assert history == [
        ("entered", "agent1", "risk A", "released"),
        ("stock_held", "supervisor1", "pedido alterado", "blocked_stock"),
        ("stock_released", "supervisor1", "", "released"),
        ("reversed", "admin1", "erro de digitacao", "open"),
    ]
    assert {datetime.fromisoformat(h["at"]) for h in state["history"]} == {NOW}
    assert state["history"][-1]["items"] == "01"

    blocked = await _place(s, RISK_C, "25")
    status, released = await s.call(
        "POST", f"/api/erp/credit/orders/{blocked}/release", sup, json={"reason": "garantia"}
    )
    assert status == 200 and released["status"] == "released"
    status, state = await s.call("GET", f"/api/erp/orders/{blocked}")
    assert [(h["action"], h["by"]) for h in state["history"]] == [
        ("entered", "agent1"),
        ("released", "supervisor1"),
    ]
    assert state["history"][-1]["why"] == "garantia"


@pytest.mark.usefixtures("restore_logging")
async def test_cli_acts_on_orders_and_prints_cents(
    erp_server: ErpServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``atende erp hold-stock``, ``release-stock``, ``reverse``, ``release`` and ``reject``
    act on an order and print its state; a release that changes nothing exits 1 with its
    code; ``parameters --set`` changes and lists the site's parameters (a bad value exits 1);
    ``invoice-run`` prints totals with cents."""
    s = erp_server
    monkeypatch.setenv("ATENDE_DATABASE_URL", str(s.engine.url.render_as_string(False)))
    monkeypatch.setenv("ATENDE_LOG_LEVEL", "warning")
    number = await _place(s, RISK_A, "3")

    def run(*args: str) -> tuple[int, str]:
        code = main(["erp", *args])
        return code, capsys.readouterr().out

    code, out = await asyncio.to_thread(
        run, "hold-stock", number, "--reason", "conferir", "--by", "ana"
    )
    assert code == 0 and f"order {number}: blocked_stock" in out and "stock 03" in out
    code, out = await asyncio.to_thread(run, "release-stock", number)
    assert code == 0 and f"order {number}: released" in out
    code, out = await asyncio.to_thread(run, "release", number)
    assert code == 1 and "nothing_to_release" in out
    code, out = await asyncio.to_thread(run, "parameters", "--set", "MV_RISCOB=45", "--by", "ana")
    assert code == 0 and "MV_RISCOB: 30 -> 45" in out and "* MV_RISCOB    45 " in out
    code, out = await asyncio.to_thread(run, "parameters", "--set", "MV_RISCOB=x")
    assert code == 1 and "parameter_invalid" in out
    code, out = await asyncio.to_thread(run, "invoice-run")
    assert code == 0 and "total 150.00" in out and out.strip().endswith("total 150.00")
    status, state = await s.call("GET", f"/api/erp/orders/{number}")
    assert status == 200
    held, released = state["history"][1:3]
    assert (held["action"], held["by"], held["why"]) == ("stock_held", "ana", "conferir")
    assert released["action"] == "stock_released" and released["by"].startswith("cli:")

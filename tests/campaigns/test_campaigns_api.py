"""The campaign API on SQLite and PostgreSQL: create with the profile's defaults, the rules
refused with their codes, lists attached by upload, start/pause/stop audited, figures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from atende.audit import AuditLog

from .helpers import cpf
from .web import Client, campaign_server

VENDAS = {"name": "Vendas Nov", "kind": "televendas", "queue": "vendas",
          "caller_id": "0303 1234 5678"}  # fmt: skip


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[Client]:
    """The web app with the campaign endpoints."""
    async with campaign_server(database_url) as c:
        yield c


def csv_bytes(rows: list[list[str]]) -> bytes:
    return "\r\n".join(";".join(r) for r in rows).encode("utf-8")


async def test_create_takes_the_profile_defaults_and_only_managers_may(client: Client) -> None:
    """A Brazilian televendas campaign gets BR hours (09-21 weekdays, 10-16 Saturday, no
    Sunday), the 3% daily cap and the retry rules; agents and supervisors are refused, admin
    is admitted, no token is 401."""
    status, made = await client.call("POST", "/api/campaigns", VENDAS)
    assert status == 201, made
    assert (made["status"], made["profile"], made["mode"], made["ratio"]) == (
        "draft", "BR", "progressive", 1.0,
    )  # fmt: skip
    assert made["hours"]["mon"] == {"start": "09:00:00", "end": "21:00:00"}
    assert made["hours"]["sat"] == {"start": "10:00:00", "end": "16:00:00"}
    assert "sun" not in made["hours"]
    assert (made["max_abandon_rate"], made["abandon_window"]) == (0.03, "day")
    assert made["retry"]["abandoned"]["cool_down_minutes"] == 72 * 60
    assert made["holidays_country"] == "BR"
    for role in ("agent", "supervisor"):
        status, body = await client.call("GET", "/api/campaigns", role=role)
        assert (status, body["error"]["code"]) == (403, "forbidden")
    assert (await client.call("GET", "/api/campaigns", role=None))[0] == 401
    status, listed = await client.call("GET", "/api/campaigns", role="admin")
    assert status == 200 and [c["name"] for c in listed["campaigns"]] == ["Vendas Nov"]
    status, shown = await client.call("GET", f"/api/campaigns/{made['id']}")
    assert shown == made
    status, us = await client.call(
        "POST", "/api/campaigns",
        {**VENDAS, "name": "US sales", "profile": "US", "caller_id": "+1 212 555 0100"},
    )  # fmt: skip
    assert status == 201, us
    assert (us["abandon_window"], us["hours"]["sun"]["end"]) == ("30d", "21:00:00")


async def test_rules_are_refused_with_codes(client: Client) -> None:
    """Hours outside the profile, a cap above the law, a 30-day window under Ofcom, a
    non-0303 number for Brazilian telemarketing, an unknown state, bad fields and a taken
    name: each refused with its stable code and field."""
    cases: list[tuple[dict[str, Any], int, str, str]] = [
        ({"hours": {"sun": {"start": "10:00", "end": "12:00"}}}, 422, "hours_outside_profile",
         "hours.sun"),
        ({"hours": {"mon": {"start": "08:00", "end": "12:00"}}}, 422, "hours_outside_profile",
         "hours.mon"),
        ({"max_abandon_rate": 0.05}, 422, "abandon_rate_above_cap", "max_abandon_rate"),
        ({"profile": "UK", "abandon_window": "30d", "caller_id": "+44 20 7946 0000"}, 422,
         "abandon_window_too_wide", "abandon_window"),
        ({"caller_id": "11 3333 4444"}, 422, "caller_id_not_0303", "caller_id"),
        ({"holidays_state": "XX"}, 422, "holidays_state_unknown", "holidays_state"),
        ({"mode": "preview", "ratio": 2}, 422, "ratio_invalid", "ratio"),
        ({"ratio": 9}, 422, "invalid_request", "ratio"),
        ({"colour": "red"}, 422, "invalid_request", "colour"),
        ({"hours": {"mon": {"start": "12:00", "end": "09:00"}}}, 422, "invalid_request",
         "hours.mon"),
        ({"list_ids": [999]}, 404, "list_not_found", ""),
    ]  # fmt: skip
    for extra, want_status, code, field in cases:
        status, body = await client.call("POST", "/api/campaigns", {**VENDAS, **extra})
        assert (status, body["error"]["code"]) == (want_status, code), (extra, body)
        if field:
            assert any(f["field"].startswith(field) for f in body["error"]["fields"]), body
    ok = {**VENDAS, "kind": "telecobranca", "caller_id": "11 3333 4444", "holidays_state": "sp"}
    status, made = await client.call("POST", "/api/campaigns", ok)
    assert (status, made["holidays_state"]) == (201, "SP")
    status, body = await client.call("POST", "/api/campaigns", ok)
    assert (status, body["error"]["code"]) == (409, "campaign_exists")
    status, body = await client.call("POST", "/api/campaigns", "[1]")
    assert status == 422 or body["error"]["code"] == "invalid_json"


async def test_lifecycle_with_an_uploaded_list_is_audited(client: Client) -> None:
    """No start without a list; an upload for the campaign attaches its list; start, pause,
    resume and stop are legal and audited with the manager's name; a stopped campaign does
    not start again; a running one cannot be changed; figures come from storage."""
    _, made = await client.call("POST", "/api/campaigns", VENDAS)
    cid = made["id"]
    status, body = await client.call("POST", f"/api/campaigns/{cid}/start")
    assert (status, body["error"]["code"]) == (409, "no_lists")
    rows = [["Nome", "Telefone", "CPF"], ["Ana", "11987654321", cpf(1)],
            ["Bia", "11987654322", cpf(2)], ["Bad", "12", cpf(3)]]  # fmt: skip
    status, up = await client.upload("nov-1", "nov.csv", csv_bytes(rows), f"?campaign={cid}")
    assert status == 202, up
    done = await client.finished(up["id"])
    assert (done["status"], done["leads_added"], done["rows_rejected"]) == ("done", 2, 1)
    status, shown = await client.call("GET", f"/api/campaigns/{cid}")
    assert len(shown["list_ids"]) == 1
    for action, want in (("start", "running"), ("pause", "paused"), ("start", "running")):
        status, body = await client.call("POST", f"/api/campaigns/{cid}/{action}")
        assert (status, body["status"]) == (200, want), body
    status, body = await client.call("PATCH", f"/api/campaigns/{cid}", {"ratio": 2})
    assert (status, body["error"]["code"]) == (409, "campaign_running")
    status, figures = await client.call("GET", f"/api/campaigns/{cid}/figures")
    assert (figures["source"], figures["remaining_leads"], figures["abandon_cap"]) == (
        "stored", 2, 0.03,
    )  # fmt: skip
    assert figures["short_call_cap"] == 100_000
    status, body = await client.call("POST", f"/api/campaigns/{cid}/stop")
    assert (status, body["status"]) == (200, "stopped")
    status, body = await client.call("POST", f"/api/campaigns/{cid}/start")
    assert (status, body["error"]["code"]) == (409, "illegal_transition")
    status, body = await client.call("POST", f"/api/campaigns/{cid}/pause")
    assert (status, body["error"]["code"]) == (409, "illegal_transition")
    entries = [
        e for e in await AuditLog(client.engine).entries() if e.action.startswith("campaign_")
    ]
    assert [(e.action, e.actor, e.target) for e in entries] == [
        ("campaign_start", "campaign_manager", f"campaign:{cid}"),
        ("campaign_pause", "campaign_manager", f"campaign:{cid}"),
        ("campaign_start", "campaign_manager", f"campaign:{cid}"),
        ("campaign_stop", "campaign_manager", f"campaign:{cid}"),
    ]
    assert entries[1].details == {"name": "Vendas Nov", "from": "running", "to": "paused"}
    status, body = await client.call("POST", "/api/campaigns/77/start")
    assert (status, body["error"]["code"]) == (404, "campaign_not_found")
    status, body = await client.call("GET", "/api/campaigns/x1")
    assert (status, body["error"]["code"]) == (404, "campaign_not_found")


async def test_a_campaign_id_no_column_holds_is_not_found(client: Client) -> None:
    """An id longer than the id column holds (PostgreSQL's integer) is a 404 on every campaign
    route, the leads and the live figures included (it was a 500 there on PostgreSQL)."""
    huge = "36028797018963969"
    for path in ("", "/leads", "/figures", "/figures/events"):
        status, body = await client.call("GET", f"/api/campaigns/{huge}{path}")
        assert (status, body["error"]["code"]) == (404, "campaign_not_found"), path


async def test_patch_and_attach(client: Client) -> None:
    """A draft changes only the fields given; a new profile brings its defaults; a list is
    attached by name once however often it is named."""
    _, made = await client.call("POST", "/api/campaigns", VENDAS)
    cid = made["id"]
    status, body = await client.call(
        "PATCH", f"/api/campaigns/{cid}",
        {"mode": "predictive", "max_abandon_rate": 0.02,
         "retry": {"busy": {"cool_down_minutes": 30, "max_attempts": 2}}},
    )  # fmt: skip
    assert status == 200, body
    assert (body["mode"], body["max_abandon_rate"], body["queue"]) == ("predictive", 0.02, "vendas")
    assert body["retry"]["busy"] == {"cool_down_minutes": 30, "max_attempts": 2}
    assert body["retry"]["no_answer"] == made["retry"]["no_answer"]
    for _ in range(2):
        status, body = await client.call("POST", f"/api/campaigns/{cid}/lists", {"list": "extra"})
        assert status == 200, body
    assert len(body["list_ids"]) == 1
    status, lists = await client.call("GET", "/api/campaigns/lists")
    assert lists["lists"] == [
        {"id": body["list_ids"][0], "name": "extra", "campaign": "Vendas Nov", "leads": 0,
         "remaining": 0},
    ]  # fmt: skip
    status, body = await client.call(
        "PATCH", f"/api/campaigns/{cid}", {"profile": "US", "caller_id": "+12125550100"}
    )
    assert (status, body["abandon_window"], body["hours"]["sun"]["start"]) == (
        200, "30d", "08:00:00",
    )  # fmt: skip

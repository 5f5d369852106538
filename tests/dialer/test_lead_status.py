"""What the dialer learns of each lead reaches the campaign manager, on SQLite and PostgreSQL:
the lead's status (``retry`` with its next try, ``done``) in the lead list, the lists' and the
stored figures' leads still to call, and the same state when the dialer loads the campaign
again after a restart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from campaigns.dialer.core import Agents
from campaigns.dialer.sql import SqlDialerStore
from campaigns.sql.tables import leads
from tests.campaigns.web import Client, campaign_server
from tests.dialer.leads_world import campaign_with_leads, stored_dialler
from tests.dialer.stack import OPENING


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[Client]:
    """The web app with the campaign endpoints (no dialer: figures come from storage)."""
    async with campaign_server(database_url) as c:
        yield c


async def _leads(client: Client, cid: int, query: str = "") -> dict[str, dict[str, object]]:
    status, body = await client.call("GET", f"/api/campaigns/{cid}/leads{query}")
    assert status == 200, body
    return {lead["name"]: lead for lead in body["leads"]}


async def test_dialled_leads_end_final_or_due_and_stay_so_after_a_restart(
    client: Client,
) -> None:
    """Three leads dialled: Ana reached an agent (``done``), Bia busy and Caio a machine
    (``retry``, due after their cool-downs); Duda not dialled yet (``new``). The lead list
    shows each status, reason, attempts and next try; lists and stored figures count three
    leads still to call; the dialer started again (a restart) knows the same: three left,
    only Duda dialable at once, Bia and Caio once their cool-downs pass, never Ana."""
    cid = await campaign_with_leads(client)
    now = OPENING
    core = await stored_dialler(client, cid)
    orders = core.tick(now, Agents(free=3))
    ids = {d.lead_id: d.attempt_id for d in orders.dial}
    assert len(ids) == 3
    names = {r.id: r.name for r in await _lead_rows(client)}
    by_name = {names[lead]: attempt for lead, attempt in ids.items()}
    assert set(by_name) == {"Ana", "Bia", "Caio"}
    done = []
    core.answered(by_name["Ana"], now)
    core.amd(by_name["Ana"], "HUMAN", "HUMAN-800-800", now)
    core.connected(by_name["Ana"], now)
    done.append(core.ended(by_name["Ana"], now + timedelta(minutes=3)))
    done.append(core.not_answered(by_name["Bia"], "5", now))
    core.answered(by_name["Caio"], now)
    core.amd(by_name["Caio"], "MACHINE", "LONGGREETING-1500-1500", now)
    done.append(core.ended(by_name["Caio"], now + timedelta(seconds=20)))
    store = SqlDialerStore(client.engine)
    finished = [(o, core.book.leads[o.attempt.lead_id]) for o in done if o is not None]
    assert len(finished) == 3
    await store.record(str(cid), finished, now + timedelta(minutes=3))

    shown = await _leads(client, cid)
    assert {n: (v["status"], v["reason"]) for n, v in shown.items()} == {
        "Ana": ("done", "reached"),
        "Bia": ("retry", "retry_busy"),
        "Caio": ("retry", "retry_machine"),
        "Duda": ("new", "new"),
    }
    assert shown["Ana"]["attempts"] == {"human": 1} and shown["Ana"]["next_try"] is None
    due_at = datetime.fromisoformat(str(shown["Bia"]["next_try"]))
    assert due_at == now + timedelta(minutes=15)
    assert set(await _leads(client, cid, "?status=retry")) == {"Bia", "Caio"}
    status, body = await client.call("GET", f"/api/campaigns/{cid}/leads?limit=2")
    assert [x["name"] for x in body["leads"]] == ["Ana", "Bia"]
    status, body = await client.call(
        "GET", f"/api/campaigns/{cid}/leads?after={body['next_after']}"
    )
    assert [x["name"] for x in body["leads"]] == ["Caio", "Duda"] and body["next_after"] is None
    status, body = await client.call("GET", f"/api/campaigns/{cid}/leads?status=lost")
    assert (status, body["error"]["code"]) == (422, "invalid_request")

    status, body = await client.call("GET", "/api/campaigns/lists")
    assert [(x["leads"], x["remaining"]) for x in body["lists"]] == [(4, 3)]
    status, figures = await client.call("GET", f"/api/campaigns/{cid}/figures")
    assert (figures["source"], figures["remaining_leads"], figures["results"]) == (
        "stored", 3, {"done": 1},
    )  # fmt: skip

    again = await stored_dialler(client, cid)  # the engine restarted
    assert again.figures(now).remaining_leads == 3
    first = again.tick(now + timedelta(minutes=5), Agents(free=4))
    assert [names[d.lead_id] for d in first.dial] == ["Duda"]
    later = await stored_dialler(client, cid, at_hours=5)
    due = later.tick(OPENING + timedelta(hours=5), Agents(free=4))
    assert sorted(names[d.lead_id] for d in due.dial) == ["Bia", "Caio", "Duda"]


async def test_settled_leads_are_not_dialled_and_reopened_ones_are(client: Client) -> None:
    """A telecobrança refresh settles Bia (she paid) while the dialer has her due for a retry:
    the dialer's next result leaves her settled and the dialer does not call her; it reopens
    Ana (a broken promise) after she was reached: she is dialled afresh."""
    cid = await campaign_with_leads(client)
    core = await stored_dialler(client, cid)
    orders = core.tick(OPENING, Agents(free=2))
    names = {r.id: r.name for r in await _lead_rows(client)}
    attempts = {names[d.lead_id]: d.attempt_id for d in orders.dial}
    assert set(attempts) == {"Ana", "Bia"}
    core.answered(attempts["Ana"], OPENING)
    core.amd(attempts["Ana"], "HUMAN", "HUMAN-800-800", OPENING)
    core.connected(attempts["Ana"], OPENING)
    ana = core.ended(attempts["Ana"], OPENING + timedelta(minutes=2))
    ids = {name: lead for lead, name in names.items()}
    async with client.engine.begin() as conn:  # the refresh: Bia paid
        await conn.execute(leads.update().where(leads.c.id == ids["Bia"]).values(status="settled"))
    bia = core.not_answered(attempts["Bia"], "3", OPENING)
    assert ana is not None and bia is not None
    done = [(o, core.book.leads[o.attempt.lead_id]) for o in (ana, bia)]
    await SqlDialerStore(client.engine).record(str(cid), done, OPENING)
    shown = await _leads(client, cid)
    assert (shown["Ana"]["status"], shown["Bia"]["status"]) == ("done", "settled")

    async with client.engine.begin() as conn:  # the refresh: Ana broke her promise
        await conn.execute(leads.update().where(leads.c.id == ids["Ana"]).values(status="new"))
    later = await stored_dialler(client, cid, at_hours=5)
    assert later.figures(OPENING).remaining_leads == 3  # Ana, Caio, Duda
    due = later.tick(OPENING + timedelta(hours=5), Agents(free=4))
    assert sorted(names[d.lead_id] for d in due.dial) == ["Ana", "Caio", "Duda"]


async def _lead_rows(client: Client) -> list[sa.Row[tuple[int, str]]]:
    async with client.engine.connect() as conn:
        return list((await conn.execute(sa.select(leads.c.id, leads.c.name))).all())

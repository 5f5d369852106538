"""A campaign with four São Paulo leads (Ana, Bia, Caio, Duda) on the campaign web app, and
the dialer's core loaded from storage as the engine loads it: the lead-status tests' world."""

from __future__ import annotations

from datetime import timedelta

from campaigns.dialer.core import DialerCore
from campaigns.dialer.plan import StoredPlans
from campaigns.dialer.sql import SqlDialerStore
from campaigns.sql.campaign_store import SqlCampaignStore
from tests.campaigns.web import Client
from tests.dialer.stack import OPENING, phone

CAMPAIGN = {"name": "Ativo Dez", "kind": "televendas", "queue": "ativo",
            "caller_id": "0303 1234 5678"}  # fmt: skip


async def campaign_with_leads(client: Client) -> int:
    """A campaign and its list of four São Paulo leads (Ana, Bia, Caio, Duda, in that order)."""
    _, made = await client.call("POST", "/api/campaigns", CAMPAIGN)
    cid = int(made["id"])
    rows = ["Nome;Telefone;UF"] + [
        f"{name};{phone(n)};SP" for n, name in enumerate(("Ana", "Bia", "Caio", "Duda"))
    ]
    data = "\r\n".join(rows).encode()
    status, up = await client.upload("dez", "dez.csv", data, f"?campaign={cid}")
    assert status == 202, up
    assert (await client.finished(up["id"]))["leads_added"] == 4
    return cid


async def stored_dialler(client: Client, cid: int, at_hours: float = 0) -> DialerCore:
    """The campaign as the dialer loads it at its start (``at_hours`` after the opening)."""
    plan = await StoredPlans(SqlCampaignStore(client.engine)).plan(str(cid))
    stored = await SqlDialerStore(client.engine).leads(plan)
    return DialerCore(plan, stored, OPENING + timedelta(hours=at_hours))

"""A campaign's figures pushed to the manager's page (Server-Sent Events) on SQLite and
PostgreSQL: the figures come at once, then again when they change (a lead the dialer
finished); a plain GET gets them once as JSON; unknown campaigns and other roles are refused."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp

from campaigns.dialer.core import Agents
from campaigns.dialer.sql import SqlDialerStore
from tests.campaigns.web import campaign_server
from tests.dialer.leads_world import campaign_with_leads, stored_dialler
from tests.dialer.stack import OPENING

STREAM = {"Accept": "text/event-stream"}


async def _events(response: aiohttp.ClientResponse) -> AsyncIterator[dict[str, Any]]:
    """The ``figures`` events of a stream, decoded."""
    kind = ""
    async for raw in response.content:
        line = raw.decode().rstrip("\n")
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: ") and kind == "figures":
            yield json.loads(line[6:])


async def test_figures_come_at_once_and_on_change(database_url: str) -> None:
    """The stream's first event says four leads to dial; once the dialer finishes one (an
    agent reached it) the next event says three, with one ``done``."""
    async with campaign_server(database_url) as client:
        cid = await campaign_with_leads(client)
        headers = {"Authorization": f"Bearer {client.tokens['campaign_manager']}", **STREAM}
        url = f"{client.base}/api/campaigns/{cid}/figures/events"
        async with client.http.get(url, headers=headers) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/event-stream")
            events = _events(response)
            first = await anext(events)
            assert (first["remaining_leads"], first["source"]) == (4, "stored")

            core = await stored_dialler(client, cid)
            attempt = core.tick(OPENING, Agents(free=1)).dial[0].attempt_id
            core.answered(attempt, OPENING)
            core.amd(attempt, "HUMAN", "HUMAN-800-800", OPENING)
            core.connected(attempt, OPENING)
            outcome = core.ended(attempt, OPENING + timedelta(minutes=1))
            assert outcome is not None
            lead = core.book.leads[outcome.attempt.lead_id]
            await SqlDialerStore(client.engine).record(str(cid), [(outcome, lead)], OPENING)

            changed = await asyncio.wait_for(anext(events), timeout=60)
            assert (changed["remaining_leads"], changed["results"]) == (3, {"done": 1})


async def test_a_plain_get_reads_once_and_refusals(database_url: str) -> None:
    """Without ``Accept: text/event-stream`` the figures come once as JSON; an unknown
    campaign is 404 ``campaign_not_found``; an agent is refused (403)."""
    async with campaign_server(database_url) as client:
        cid = await campaign_with_leads(client)
        status, body = await client.call("GET", f"/api/campaigns/{cid}/figures/events")
        assert (status, body["remaining_leads"]) == (200, 4)
        status, body = await client.call("GET", "/api/campaigns/999/figures/events")
        assert (status, body["error"]["code"]) == (404, "campaign_not_found")
        status, body = await client.call(
            "GET", f"/api/campaigns/{cid}/figures/events", role="agent"
        )
        assert status == 403

"""Preview campaigns and callbacks over the agent API, through the twin over TCP: each agent is
offered his own lead, cannot dial another's, a busy lead is due for a retry in the campaign's
lead list; a callback cannot be set in the past, one for anyone is offered, once due, to
another agent; only agents use these endpoints."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from atende.auth import Role, UserStore
from tests.dialer.stack import QUEUE, phone, running_dialer, upload_leads

PASSWORD = "preview-pass-1"


async def test_agents_share_a_preview_campaign_and_a_callback_for_anyone(
    database_url: str, tmp_path: Path
) -> None:
    """Ana gets the first lead, Bob the second; Bob may not dial Ana's (409
    ``no_preview_lead``); Ana dials hers, the line is busy: the lead is ``retry``
    (``retry_busy``). A callback of a call that is not hers is refused (``no_call``), one in
    the past too (``callback_in_past``); one in a minute for anyone (Ana's last lead) is
    listed for both; Bob skips his lead and gets the next one; he skips it too and, the
    minute passed, gets the callback (its lead held for him), which he dials. The campaign
    manager may not use the agent's endpoints."""
    rows = [[f"Cliente {n}", phone(n), "SP"] for n in range(3)]
    assert await upload_leads(database_url, "prev", rows, tmp_path) == 3
    async with running_dialer(database_url, None, agents=2, talk_time=4.0) as stack:
        engine = stack.engine
        users = UserStore(engine.db)
        tokens = {}
        roles = {"ana": Role.AGENT, "bob": Role.AGENT, "gestor": Role.CAMPAIGN_MANAGER}
        for user, role in roles.items():
            await users.create_user(user, PASSWORD, role)
            tokens[user] = await users.issue_token(await users.user_id(user), "t", None)
        await engine.acd_config.save_agent("3001", username="ana")
        await engine.acd_config.save_agent("3002", username="bob")
        busy_number = "55" + phone(0)
        stack.twin.set_customer(busy_number, "busy", delay=1)
        base = f"http://127.0.0.1:{engine.http_port}"
        async with aiohttp.ClientSession() as http:

            async def call(user: str, method: str, path: str, body: Any = None) -> Any:
                headers = {"Authorization": f"Bearer {tokens[user]}"}
                async with http.request(method, base + path, json=body, headers=headers) as r:
                    return r.status, await r.json()

            status, made = await call("gestor", "POST", "/api/campaigns", {
                "name": "Preview API", "kind": "televendas", "queue": QUEUE,
                "caller_id": "0303 1234 5678", "profile": "BR", "mode": "preview",
            })  # fmt: skip
            assert status == 201, made
            cid = made["id"]
            assert (await call("gestor", "POST", f"/api/campaigns/{cid}/lists",
                               {"list": "prev-list"}))[0] in (200, 201)  # fmt: skip
            assert (await call("gestor", "POST", f"/api/campaigns/{cid}/start"))[0] == 200

            status, ana = await call("ana", "GET", "/api/agent/preview")
            assert status == 200 and ana["lead"]["number"] == "+" + busy_number
            assert ana["lead"]["caller_id"] == "030312345678"
            status, bob = await call("bob", "GET", "/api/agent/preview")
            assert bob["lead"]["lead_id"] != ana["lead"]["lead_id"]
            ana_lead, bob_lead = ana["lead"]["lead_id"], bob["lead"]["lead_id"]
            status, body = await call("bob", "POST", "/api/agent/preview/dial",
                                      {"lead_id": ana_lead})  # fmt: skip
            assert (status, body["error"]["code"]) == (409, "no_preview_lead")
            status, body = await call("ana", "POST", "/api/agent/preview/dial",
                                      {"lead_id": ana_lead})  # fmt: skip
            assert status == 202, body

            async def lead_of(lead_id: int) -> dict[str, Any]:
                _, page = await call("gestor", "GET", f"/api/campaigns/{cid}/leads")
                return dict(next(x for x in page["leads"] if x["id"] == lead_id))

            seen: dict[str, Any] = {}

            async def stored() -> bool:
                seen.update(await lead_of(ana_lead))
                return seen["status"] != "new"

            for _ in range(600):
                if await stored():
                    break
                await asyncio.sleep(0.1)
            assert (seen["status"], seen["reason"]) == ("retry", "retry_busy")

            dialer = stack.dialer
            now = dialer.clock()
            not_hers = {"at": _iso(now + 60), "call_id": "dialer-1-1-1"}
            status, body = await call("ana", "POST", "/api/agent/callbacks", not_hers)
            assert (status, body["error"]["code"]) == (409, "no_call")
            past = {"at": _iso(now - 60)}
            status, body = await call("ana", "POST", "/api/agent/callbacks", past)
            assert (status, body["error"]["code"]) == (422, "callback_in_past")
            status, made_cb = await call("ana", "POST", "/api/agent/callbacks",
                                         {"at": _iso(now + 60), "anyone": True})  # fmt: skip
            assert status == 201, made_cb
            assert (made_cb["agent"], made_cb["lead_id"]) == (None, ana_lead)
            for user in ("ana", "bob"):
                _, listed = await call(user, "GET", "/api/agent/callbacks")
                assert [c["id"] for c in listed["callbacks"]] == [made_cb["id"]]

            status, nxt = await call("bob", "POST", "/api/agent/preview/skip",
                                     {"lead_id": bob_lead})  # fmt: skip
            assert status == 200 and nxt["lead"] is not None
            assert nxt["lead"]["lead_id"] not in (ana_lead, bob_lead)
            ahead = dialer.clock
            dialer.clock = lambda: ahead() + 120  # two minutes later
            status, cb = await call("bob", "POST", "/api/agent/preview/skip",
                                    {"lead_id": nxt["lead"]["lead_id"]})  # fmt: skip
            assert status == 200 and cb["lead"]["callback_id"] == made_cb["id"]
            # the lead is Bob's while the callback is offered to him: no pacer or other
            # agent's preview dials it meanwhile
            assert dialer.runs[str(cid)].core.book.leads[ana_lead].in_flight
            status, body = await call("bob", "POST", "/api/agent/preview/dial",
                                      {"callback_id": made_cb["id"]})  # fmt: skip
            assert status == 202, body
            for _ in range(300):  # placed once Bob's phone answers
                _, listed = await call("ana", "GET", "/api/agent/callbacks")
                if listed["callbacks"] == []:
                    break
                await asyncio.sleep(0.1)
            assert listed["callbacks"] == []

            status, body = await call("gestor", "GET", "/api/agent/preview")
            assert (status, body["error"]["code"]) == (403, "forbidden")


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()

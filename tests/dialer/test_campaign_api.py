"""The campaign manager's API drives the engine's dialer (the one ``atende serve`` wires): a
stored campaign started over HTTP is dialled through the twin, its figures come from the
dialer, pause stops new calls."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp

from atende.auth import Role, UserStore
from tests.dialer.stack import QUEUE, phone, running_dialer, until, upload_leads


async def _token(stack: Any) -> str:
    users = UserStore(stack.engine.db)
    await users.create_user("gestor", "gestor-pass-1", Role.CAMPAIGN_MANAGER)
    return await users.issue_token(await users.user_id("gestor"), "t", None)


async def test_manager_starts_a_stored_campaign_and_reads_the_dialers_figures(
    database_url: str, tmp_path: Path
) -> None:
    """POST /api/campaigns (a BR televendas campaign with a 0303 number), attach the list,
    POST .../start: the dialer places its calls (figures ``source`` dialer, results
    growing); POST .../pause: the dialer's status is paused and no new call is placed."""
    rows = [[f"Cliente {n}", phone(n), "SP"] for n in range(30)]
    assert await upload_leads(database_url, "api", rows, tmp_path) == 30
    async with running_dialer(database_url, None, agents=5) as stack:
        token = await _token(stack)
        base = f"http://127.0.0.1:{stack.engine.http_port}"
        headers = {"Authorization": f"Bearer {token}"}
        async with aiohttp.ClientSession(headers=headers) as http:

            async def call(method: str, path: str, body: Any = None) -> tuple[int, Any]:
                async with http.request(method, base + path, json=body) as r:
                    return r.status, await r.json()

            status, campaign = await call("POST", "/api/campaigns", {
                "name": "Ativo API", "kind": "televendas", "queue": QUEUE,
                "caller_id": "0303 1234 5678", "profile": "BR", "mode": "progressive",
            })  # fmt: skip
            assert status == 201, campaign
            cid = campaign["id"]
            status, body = await call("POST", f"/api/campaigns/{cid}/lists", {"list": "api-list"})
            assert status in (200, 201), body
            status, body = await call("POST", f"/api/campaigns/{cid}/start")
            assert status == 200, body

            async def figures() -> dict[str, Any]:
                status, body = await call("GET", f"/api/campaigns/{cid}/figures")
                assert status == 200, body
                return dict(body)

            seen: dict[str, Any] = {}

            def dialled() -> bool:
                live = stack.dialer.figures(cid)
                return live is not None and sum(live.results.values()) >= 5

            await until(dialled, timeout=120)
            seen = await figures()
            assert seen["source"] == "dialer" and seen["status"] == "running"
            assert sum(seen["results"].values()) >= 5 and seen["abandon_cap"] == 0.03
            status, body = await call("POST", f"/api/campaigns/{cid}/pause")
            assert status == 200, body
            paused = await figures()
            assert paused["status"] == "paused"
            placed = len(stack.dialer.runs[str(cid)].core.attempts) + sum(
                paused["results"].values()
            )
            await asyncio.sleep(2)  # ticks pass; a paused campaign places no call
            live = stack.dialer.figures(cid)
            assert live is not None
            assert (
                len(stack.dialer.runs[str(cid)].core.attempts) + sum(live.results.values())
                == placed
            )

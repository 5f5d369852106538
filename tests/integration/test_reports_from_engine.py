"""Reports built from the queue log the running engine wrote while the twin's callers came in."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from atende.auth import Role
from tests.conftest import migrated_sqlite
from tests.integration.acd_stack import AcdStack, four_queues, running_acd
from tests.integration.conftest import eventually


async def test_day_report_matches_what_the_engine_saw(tmp_path: Path) -> None:
    """One caller to suporte answered by 2002 (who hangs up), one to cobranca (no agent with
    the skill) who gives up: the day rows say so, agree with the live statistics, and 2002's
    agent rows show the call, talk and signed-in time."""
    url = migrated_sqlite(tmp_path / "reports.db")
    async with running_acd(url, four_queues(), {"2002": {"support": 2}}) as (twin, engine):
        stack = AcdStack(twin, engine)
        twin.set_agent_phone("Local/2002@agents", answer=True, delay=0.2, talk_time=10)
        talked = await twin.place_inbound_call("1133330002", "5511999990002", "Joao")
        left = await twin.place_inbound_call("1133330003", "5511999990003", "Ana", patience=20)
        assert talked is not None and left is not None
        await eventually(lambda: not stack.acd.calls, timeout=30)
        await eventually(lambda: stack.queue("cobranca")["abandoned"] == 1, timeout=10)
        for _ in range(100):
            records = await engine.acd_config.queue_log()
            if {"COMPLETEAGENT", "ABANDON"} <= {r.event for r in records}:
                break
            await twin.pbx.pause(None, 2)
        live = {q["queue"]: q for q in stack.acd.live_view()["queues"]}

        await engine.users.create_user("sup", "a-long-password-1", Role.SUPERVISOR)
        token = await engine.users.issue_token(await engine.users.user_id("sup"), "t", None)
        today = datetime.now(ZoneInfo(engine.settings.erp_timezone)).date()
        span = f"from={today - timedelta(days=1)}&to={today + timedelta(days=1)}&interval=day"
        base = f"http://127.0.0.1:{engine.http_port}/api/reports"
        headers = {"Authorization": f"Bearer {token}"}
        async with aiohttp.ClientSession(headers=headers) as http:
            async with http.get(f"{base}/queues?{span}") as resp:
                assert resp.status == 200
                queue_rows = (await resp.json())["rows"]
            async with http.get(f"{base}/agents?{span}") as resp:
                agent_rows = (await resp.json())["rows"]

    def total(queue: str, key: str) -> Any:
        return sum(r[key] for r in queue_rows if r["queue"] == queue)

    assert (total("suporte", "offered"), total("suporte", "answered")) == (1, 1)
    assert total("suporte", "completed") == 1
    assert (total("cobranca", "offered"), total("cobranca", "abandoned")) == (1, 1)
    for queue in ("suporte", "cobranca", "vendas"):
        for key in ("offered", "answered", "abandoned"):
            assert total(queue, key) == live[queue][key], (queue, key)
    mine = [r for r in agent_rows if r["agent"] == "2002"]
    assert sum(r["calls"] for r in mine) == 1
    assert sum(r["talk_time"] for r in mine) > 0
    assert sum(r["logged_in_time"] for r in mine) > sum(r["talk_time"] for r in mine)

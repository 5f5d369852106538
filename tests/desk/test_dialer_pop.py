"""A person the dialer reached pops the customer his lead names, not a lookup of his number:
dialer, ACD and desk on the engine, the product twin over TCP, the agent's WebSocket."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp

from atende.auth import Role
from atende.db import upgrade
from atende.desk.screen_pop import lead_code_of, split_customer
from campaigns.dialer.plan import DialingPlan
from campaigns.domain.profiles import BR
from erp_bridge.embedded.seed import add_records
from telephony.twin.behaviour import Customer
from tests.crm.conftest import world
from tests.dialer.stack import QUEUE, phone, running_dialer, upload_leads

PASSWORD = "a-long-password-1"


def test_lead_customer_ids_in_the_forms_lists_carry_them() -> None:
    """``CODE-STORE`` and ``CODE/STORE`` (a collection list's) name one customer store; a bare
    code names the customer only (the number's lookup then picks his store)."""
    assert split_customer("000002-01") == ("000002", "01")
    assert split_customer(" 000002/01 ") == ("000002", "01")
    assert split_customer("000002") is None and lead_code_of("000002") == "000002"
    assert lead_code_of("000002-01") is None and lead_code_of("") is None


async def test_dialer_call_pops_the_leads_customer(tmp_path: Path) -> None:
    """The lead's number belongs to no customer, but the lead names Maria's store
    (``codigo_cliente`` 000002-01): the agent's socket gets the offer of an outbound call with
    Maria's view and her as the only candidate, and ``me.call`` says outbound."""
    campaign = "104"
    sqlite_url = f"sqlite+aiosqlite:///{tmp_path / 'pop.db'}"
    await asyncio.to_thread(upgrade, sqlite_url)
    rows = [["Maria", phone(2), "SP", "000002-01"]]
    header = "Nome;Telefone;UF;codigo_cliente"
    assert await upload_leads(sqlite_url, campaign, rows, tmp_path, header) == 1
    plan = DialingPlan(
        campaign_id=campaign, kind="telecobranca", queue=QUEUE, profile=BR, priority=5,
        caller_id="1130000000",
    )  # fmt: skip
    async with running_dialer(sqlite_url, {campaign: plan}, agents=1, talk_time=60) as stack:
        engine = stack.engine
        await add_records(engine.db, world())
        await engine.users.create_user("ana", PASSWORD, Role.AGENT)
        await engine.acd_config.save_agent("3001", username="ana")
        token = await engine.users.issue_token(await engine.users.user_id("ana"), "t", None)
        headers = {"Authorization": f"Bearer {token}"}
        base = f"http://127.0.0.1:{engine.http_port}"
        stack.twin.customers["55" + phone(2)] = Customer("human", 1.0)
        async with aiohttp.ClientSession(headers=headers) as http:
            ws = await http.ws_connect(base + "/api/agent/ws")
            await stack.dialer.start(campaign)
            offer: dict[str, Any] = {}
            async with asyncio.timeout(60):
                while offer.get("type") != "offer":
                    offer = json.loads((await ws.receive()).data)
            async with http.get(base + "/api/agent/me") as resp:
                me = await resp.json()
            await ws.close()
    assert offer["call"]["caller"].endswith(phone(2))
    assert offer["candidates"] == [
        {"customer_id": "000002-01", "store": "01", "name": "Maria Souza"}
    ]
    assert offer["view"]["registration"]["name"] == "Maria Souza"
    assert me["call"]["direction"] == "outbound"
    assert me["call"]["customers"][0]["customer_id"] == "000002-01"

"""Preview campaigns and scheduled callbacks on the agent's desk in a real headless Chromium,
against the engine on the Asterisk twin: the campaign manager starts a preview campaign; the
agent, available, is offered its leads one at a time, skips one, sees the next with its
customer's view and dials it: his phone rings first, then the lead, who sees the campaign's
caller id; in the call he schedules a callback; the call ends and the lead is ``done`` in the
campaign's lead list; once due the callback is offered to him and he dials it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from acd.domain import QueueConfig
from atende.auth import Role
from atende.wiring import Engine
from campaigns.dialer.callbacks import SqlCallbackStore
from erp_bridge.domain import entities as e
from erp_bridge.domain.taxid import cnpj_check_digits
from erp_bridge.embedded.seed import add_records
from tests.conftest import migrated_sqlite
from tests.dialer.stack import OPENING, upload_leads
from tests.integration.acd_stack import acd_settings, product_twin, seed_acd
from tests.web.conftest import EngineSite

pytestmark = pytest.mark.browser

PASSWORD = "a-long-password-1"
QUEUE = "ativo"
BIA = "11970000001"  # a lead who is no known customer
CAFE = "11970000002"  # the lead of customer 000003-01
CAMPAIGN = {"name": "Previa", "kind": "televendas", "queue": QUEUE, "mode": "preview",
            "caller_id": "0303 1234 5678", "profile": "BR"}  # fmt: skip


#: a time (epoch ms) as the value of a datetime-local input in the browser's zone
LOCAL_MINUTE = """(ms) => {
  const d = new Date(ms); const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`
    + `T${p(d.getHours())}:${p(d.getMinutes())}`; }"""


def opening_clock() -> Callable[[], float]:
    """Wall time moved to a Wednesday morning in São Paulo: the calling window is open."""
    began = time.time()
    return lambda: OPENING.timestamp() + time.time() - began


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[EngineSite]:
    """Twin + engine (SQLite) with Cafe Central in the ERP; agent 2001 (user ``agent``) serves
    the campaign's queue; the list ``previa-list`` holds Bia and Cafe Central, in that order."""
    url = migrated_sqlite(tmp_path / "preview.db")
    await seed_acd(url, [QueueConfig(name=QUEUE, skills={"sales": 1})], {"2001": {"sales": 3}})
    rows = [["Bia Souza", BIA, "SP", ""], ["Cafe Central", CAFE, "SP", "000003-01"]]
    header = "Nome;Telefone;UF;customer_id"
    assert await upload_leads(url, "previa", rows, tmp_path, header) == 2
    twin = product_twin(0.05)
    port = await twin.start()
    engine = Engine(acd_settings(port, url, acd_login_on_start=False))
    await engine.start()
    twin.pbx.agi_address = ("127.0.0.1", engine.agi.port)
    assert engine.dialer is not None and engine.acd is not None
    engine.dialer.clock = opening_clock()
    cnpj = "223334440001" + cnpj_check_digits("223334440001")
    cafe = e.Customer("000003", "01", "Cafe Central", cnpj, phone="+55" + CAFE, risk="C",
                      credit_limit=Decimal("100.00"))  # fmt: skip
    await add_records(engine.db, [cafe])
    tokens = {}
    for user, role in (("agent", Role.AGENT), ("gestor", Role.CAMPAIGN_MANAGER)):
        await engine.users.create_user(user, PASSWORD, role)
        tokens[user] = await engine.users.issue_token(await engine.users.user_id(user), "t", None)
    await engine.acd_config.save_agent("2001", username="agent")
    await engine.acd.wait_ready()
    http = aiohttp.ClientSession()
    try:
        yield EngineSite(engine, twin, f"http://127.0.0.1:{engine.http_port}", tokens, http)
    finally:
        await http.close()
        await engine.stop()
        await twin.stop()


async def _lead_status(stack: EngineSite, cid: int, name: str) -> tuple[str, str]:
    status, body = await stack.call("GET", f"/api/campaigns/{cid}/leads", "gestor")
    assert status == 200, body
    lead = next(x for x in body["leads"] if x["name"] == name)
    return lead["status"], lead["reason"]


async def test_an_agent_in_preview_mode_dials_a_lead(stack: EngineSite, browser: Any) -> None:
    """The manager starts a preview campaign (nothing is dialled by itself). The agent logs
    in to the queues: Bia is offered; he skips her; Cafe Central comes with the customer's
    view (risk C, limit 100.00); he dials: his phone rings and answers, then the lead's, who
    sees the campaign's 0303 number; the call shows on his desk; he hangs up and the lead is
    ``done`` (``reached``), Bia still ``new``."""
    stack.twin.set_agent_phone("Local/2001@agents", answer=True, delay=20)  # 1 s
    stack.twin.set_customer("55" + CAFE, "human", delay=20)
    status, made = await stack.call("POST", "/api/campaigns", "gestor", CAMPAIGN)
    assert status == 201, made
    cid = made["id"]
    status, body = await stack.call("POST", f"/api/campaigns/{cid}/lists", "gestor",
                                    {"list": "previa-list"})  # fmt: skip
    assert status in (200, 201), body
    status, body = await stack.call("POST", f"/api/campaigns/{cid}/start", "gestor")
    assert status == 200, body

    page = await browser.new_page()
    await page.goto(stack.base + "/agent.html")
    await page.fill("input[name=username]", "agent")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login button[type=submit]")
    await page.click("#btn-login")
    await page.locator("#state[data-state=available]").wait_for(timeout=10000)

    offered = page.locator("#preview-panel:not([hidden])")
    await offered.wait_for(timeout=15000)
    assert "Bia Souza" in await page.locator("#preview-lead").inner_text()
    assert await offered.get_attribute("data-customer") is None
    await page.click("#btn-preview-skip")
    cafe = page.locator("#preview-panel[data-customer='000003-01']")
    await cafe.wait_for(timeout=15000)
    assert "Cafe Central" in await page.locator("#preview-lead").inner_text()
    assert "100.00" in await page.locator("#preview-customer").inner_text()
    assert "030312345678" in await page.locator("#preview-lead").inner_text()
    assert not stack.twin.channels()  # nothing dialled before the agent says so

    await page.click("#btn-preview-dial")
    await page.locator("#state-status", has_text="Ligando").wait_for(timeout=10000)

    def lead_leg() -> Any:
        return next(
            (c for c in stack.twin.channels() if c.name.startswith(f"Local/55{CAFE}@customers")),
            None,
        )

    for _ in range(300):  # the lead's phone rings once the agent's has answered
        if lead_leg() is not None and lead_leg().bridge:
            break
        await asyncio.sleep(0.1)
    leg = lead_leg()
    assert leg is not None and leg.bridge, "the lead was not connected to the agent"
    agent = next(c for c in stack.twin.channels() if c.name.startswith("Local/2001@agents"))
    assert agent.bridge == leg.bridge
    presented = {c.caller_id_num for c in stack.twin.channels() if c.name.startswith("Local/55")}
    assert "030312345678" in presented
    await page.locator("#call-panel[data-direction=outbound]").wait_for(timeout=30000)
    # in the call: a callback in two minutes (dialer time), for him
    dialer = stack.engine.dialer
    assert dialer is not None
    due = dialer.clock() + 120
    local = await page.evaluate(LOCAL_MINUTE, (due // 60 + 1) * 60 * 1000)
    await page.fill("#callback-form input[name=at]", local)
    await page.fill("#callback-form input[name=note]", "Quer falar com o gerente")
    await page.click("#callback-form button[type=submit]")
    await page.locator("#callback-status", has_text="Retorno agendado").wait_for(timeout=10000)
    assert stack.twin.hangup(agent.name)  # the agent puts the phone down

    for _ in range(300):
        if await _lead_status(stack, cid, "Cafe Central") == ("done", "reached"):
            break
        await asyncio.sleep(0.1)
    assert await _lead_status(stack, cid, "Cafe Central") == ("done", "reached")
    assert await _lead_status(stack, cid, "Bia Souza") == ("new", "new")

    status, body = await stack.call("GET", "/api/agent/callbacks", "agent")
    assert status == 200 and len(body["callbacks"]) == 1
    callback = body["callbacks"][0]
    assert (callback["agent"], callback["number"], callback["lead_id"] is not None) == (
        "2001", "+55" + CAFE, True,
    )  # fmt: skip
    await asyncio.sleep(3)  # not due yet: the desk offers nothing (Bia was skipped)
    assert await page.locator("#preview-panel").is_hidden()
    ahead = dialer.clock
    dialer.clock = lambda: ahead() + 600  # ten minutes later
    offer = page.locator(f"#preview-panel[data-callback='{callback['id']}']:not([hidden])")
    await offer.wait_for(timeout=15000)
    assert "Quer falar com o gerente" in await page.locator("#preview-lead").inner_text()
    assert "Retorno agendado" in await page.locator("#preview-title").inner_text()
    await page.click("#btn-preview-dial")
    await page.locator("#state-status", has_text="Ligando").wait_for(timeout=10000)
    for _ in range(300):
        if lead_leg() is not None and lead_leg().bridge:
            break
        await asyncio.sleep(0.1)
    assert lead_leg() is not None and lead_leg().bridge, "the callback did not reach the lead"
    agent = next(c for c in stack.twin.channels() if c.name.startswith("Local/2001@agents"))
    assert stack.twin.hangup(agent.name)
    for _ in range(300):
        status, body = await stack.call("GET", f"/api/campaigns/{cid}/leads", "gestor")
        cafe_lead = next(x for x in body["leads"] if x["name"] == "Cafe Central")
        if cafe_lead["attempts"] == {"human": 2}:
            break
        await asyncio.sleep(0.1)
    assert cafe_lead["attempts"] == {"human": 2}
    status, body = await stack.call("GET", "/api/agent/callbacks", "agent")
    assert body["callbacks"] == []  # placed
    store = SqlCallbackStore(stack.engine.db)
    for _ in range(100):  # stored at the dialer's next tick
        rows = await store.all()
        if rows[0]["status"] == "dialled":
            break
        await asyncio.sleep(0.1)
    assert (rows[0]["status"], rows[0]["done_by"], rows[0]["agent"]) == ("dialled", "2001", "2001")

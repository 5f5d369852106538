"""The agent's desk in a real headless Chromium, against the engine on the Asterisk twin: the
customer pops over the WebSocket before the phone is answered, an order entered in the call
comes back blocked by credit with the customer's position, the disposition closes the wrap-up;
another agent can open neither that call nor that customer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from acd.domain import DispositionCode, QueueConfig
from atende.auth import Role
from atende.wiring import Engine
from erp_bridge.domain import entities as e
from erp_bridge.domain.taxid import cnpj_check_digits
from erp_bridge.embedded.seed import add_records
from telephony.twin import Twin
from tests.conftest import migrated_sqlite
from tests.crm.conftest import world
from tests.integration.acd_stack import QUEUE_SKILLS, acd_settings, product_twin, seed_acd
from tests.web.conftest import EngineSite

pytestmark = pytest.mark.browser

PASSWORD = "a-long-password-1"
SHARED = "5511987654321"  # customers 000001-01 and 000001-02 share it
CAFE = "5511933334444"  # customer 000003-01, alone on its number, risk C, limit 100.00
CODES = (
    DispositionCode(code="sale", label="Venda"),
    DispositionCode(code="no_sale", label="Sem venda"),
)


async def waiting_in(engine: Engine, queue: str) -> int:
    """Callers waiting in ``queue`` once one is there (the engine's own live view)."""
    assert engine.acd is not None
    for _ in range(300):
        found = next(q for q in engine.acd.live_view()["queues"] if q["queue"] == queue)
        if found["waiting"]:
            return int(found["waiting"])
        await asyncio.sleep(0.05)
    return 0


async def hang_up_once_answered(page: Any) -> bool:
    """Press hang-up until the engine takes it: while the customer's phone still rings it
    answers ``not_connected`` ("The call is not answered yet."), shown on the page."""
    for _ in range(100):
        await page.click("#btn-hangup")
        said = page.locator("#call-status:not(:empty), #call-error:not(:empty)").first
        await said.wait_for(state="attached")  # the panel may go as the call ends
        if await page.locator("#call-status").inner_text() == "Sent.":
            return True
        assert await page.locator("#call-error").inner_text() == "The call is not answered yet."
        await asyncio.sleep(0.1)
    return False


async def later_wrap_up_end(page: Any, at_least: float) -> bool:
    """Whether the page's state comes to say the wrap-up ends at ``at_least`` or later."""
    for _ in range(200):
        if await page.evaluate("Agent.desk.me.wrap_up_ends_at") >= at_least:
            return True
        await asyncio.sleep(0.05)
    return False


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[EngineSite]:
    """Twin + engine (SQLite) with the small ERP world; agent 2001 is user ``agent``, 2002 is
    ``agent2``; queues carry disposition codes and ring long enough for a slow answer."""
    url = migrated_sqlite(tmp_path / "desk.db")
    queues = [
        QueueConfig(name=q, skills={s: 1}, ring_timeout=600, wrap_up_seconds=60, dispositions=CODES)
        for q, s in QUEUE_SKILLS.items()
    ]
    await seed_acd(url, queues, {"2001": {"sales": 3}, "2002": {"support": 2}})
    twin = product_twin(0.05)
    port = await twin.start()
    engine = Engine(acd_settings(port, url, acd_login_on_start=False))
    await engine.start()
    twin.pbx.agi_address = ("127.0.0.1", engine.agi.port)
    cafe_cnpj = "223334440001" + cnpj_check_digits("223334440001")
    cafe = e.Customer(
        "000003", "01", "Cafe Central", cafe_cnpj, phone="+" + CAFE, risk="C",
        credit_limit=Decimal("100.00"),
    )  # fmt: skip
    await add_records(engine.db, [*world(), cafe])
    tokens = {}
    for user, role in (("agent", Role.AGENT), ("agent2", Role.AGENT), ("boss", Role.SUPERVISOR)):
        await engine.users.create_user(user, PASSWORD, role)
        tokens[user] = await engine.users.issue_token(await engine.users.user_id(user), "t", None)
    await engine.acd_config.save_agent("2001", username="agent")
    await engine.acd_config.save_agent("2002", username="agent2")
    assert engine.acd is not None
    await engine.acd.wait_ready()
    http = aiohttp.ClientSession()
    try:
        yield EngineSite(engine, twin, f"http://127.0.0.1:{engine.http_port}", tokens, http)
    finally:
        await http.close()
        await engine.stop()
        await twin.stop()


async def test_agent_takes_a_call_enters_an_order_and_closes_it(
    desk: EngineSite, browser: Any
) -> None:
    """Signed in on the home page, the agent lands on his desk, logs in to the queues; Cafe
    Central calls: its view pops while the phone still rings; answered, he orders 50 coffees
    (500.00 over a 100.00 limit): the ERP blocks the order by credit (01) and the page shows the
    reason and the position. The caller hangs up; leaving wrap-up waits for the disposition;
    once given, he is available again. The bakery calls from a number two stores share: he
    picks one; a transfer to a queue that does not exist is refused with the reason, a blind
    transfer to the support queue goes, and after the disposition he is available."""
    # the phone rings 15 s (twin time 300 at 0.05; the Dial gives up after 30 s) before
    # answering: the pop must come first
    desk.twin.set_agent_phone("Local/2001@agents", answer=True, delay=300)
    page = await browser.new_page()
    await page.goto(desk.base + "/")
    await page.fill("input[name=username]", "agent")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login button[type=submit]")
    await page.wait_for_url(desk.base + "/agent.html", timeout=10000)
    await page.click("#btn-login")
    await page.locator("#state[data-state=available]").wait_for(timeout=10000)
    await page.locator("#link[data-link=up]").wait_for(state="attached", timeout=10000)

    caller = await desk.twin.place_inbound_call("1133330001", CAFE, "Cafe")
    assert caller is not None
    view = page.locator("#view[data-customer='000003-01']")
    await view.wait_for(timeout=15000)
    assert await page.locator("#call-panel").get_attribute("data-call-state") != "connected"
    assert "Cafe Central" in await page.locator("#registration").inner_text()

    await page.locator("#call-panel[data-call-state=connected]").wait_for(timeout=60000)
    await page.locator("#outcome-panel").wait_for(timeout=10000)
    await page.fill("#order-form input[name=search]", "Cafe")
    await page.click("#btn-find-products")
    product = page.locator('#products tbody tr[data-key="P1"]')
    await product.wait_for(timeout=10000)
    await product.locator("input[name=qty]").fill("50")
    await product.locator("button.add").click()
    # due today in the ERP's time zone: the automatic release judges it at once
    today = datetime.now(ZoneInfo("America/Sao_Paulo")).date().isoformat()
    await page.fill("#order-form input[name=delivery_date]", today)
    await page.click("#order-form button[type=submit]")
    result = page.locator("#outcome-result[data-status=blocked_credit]")
    await result.wait_for(timeout=30000)
    text = await result.inner_text()
    assert "Bloqueado por crédito" in text
    assert "crédito (01)" in text
    limit = result.locator(".result-position dd[data-fact=credit_limit]")
    assert await limit.inner_text() == "100.00"
    assert await result.locator(".result-position dd[data-fact=open_orders]").inner_text() != ""

    assert desk.twin.hangup(caller.name)  # the caller hangs up
    await page.locator("#state[data-state=wrap_up]").wait_for(timeout=15000)
    assert await page.locator("#btn-wrap-end").is_disabled()  # the disposition comes first
    await page.select_option("#disposition select[name=code]", "no_sale")
    await page.click("#disposition button[type=submit]")
    await page.locator("#state[data-state=available]").wait_for(timeout=15000)

    call_id = await page.locator("#call-panel").get_attribute("data-call-id")
    assert call_id

    # the bakery calls from the number its two stores share: the agent picks the store
    desk.twin.set_agent_phone("Local/2001@agents", answer=True, delay=20)
    second = await desk.twin.place_inbound_call("1133330001", SHARED, "Padaria")
    assert second is not None
    pick = page.locator('#candidates button[data-customer="000001-02"]')
    await pick.wait_for(timeout=15000)
    assert await page.locator("#candidates button").count() == 2
    await pick.click()
    await page.locator("#view[data-customer='000001-02']").wait_for(timeout=10000)
    await page.locator("#call-panel[data-call-state=connected]").wait_for(timeout=30000)
    # a refused control says why; then a blind transfer to the support queue
    await page.fill("#transfer input[name=value]", "no-such-queue")
    await page.click("#transfer button[type=submit]")
    await page.locator("#call-error", has_text="Destino desconhecido").wait_for(timeout=10000)
    await page.select_option("#transfer select[name=mode]", "blind")
    await page.select_option("#transfer select[name=type]", "queue")
    await page.fill("#transfer input[name=value]", "suporte")
    await page.click("#transfer button[type=submit]")
    await page.locator("#call-status", has_text="Enviado").wait_for(timeout=10000)
    await page.locator("#state[data-state=wrap_up]").wait_for(timeout=15000)
    assert desk.engine.acd is not None
    assert await waiting_in(desk.engine, "suporte") == 1  # the caller waits for support
    await page.select_option("#disposition select[name=code]", "no_sale")
    await page.click("#disposition button[type=submit]")
    await page.locator("#state[data-state=available]").wait_for(timeout=15000)
    # agent2 can open neither the call nor its customer, in the desk or in the ERP
    status, body = await desk.call("GET", "/api/agent/customers/000003-01/view", "agent2")
    assert (status, body["error"]["code"]) == (403, "not_your_customer")
    status, body = await desk.call("GET", "/api/erp/customers/000003/01/position", "agent2")
    assert (status, body["error"]["code"]) == (403, "not_your_customer")
    status, body = await desk.call("GET", f"/api/calls/{call_id}/disposition", "agent2")
    assert (status, body["error"]["code"]) == (403, "not_your_call")
    status, body = await desk.call(
        "POST", "/api/agent/call/disposition", "agent2", {"call_id": call_id, "code": "sale"}
    )
    assert status in (403, 409) and body["error"]["code"] == "not_your_call"
    # ... while the agent who took it may read her position
    status, _ = await desk.call("GET", "/api/erp/customers/000003/01/position", "agent")
    assert status == 200


async def test_agent_pauses_promises_opens_a_ticket_and_calls_back(
    desk: EngineSite, browser: Any
) -> None:
    """In English: the agent logs in, pauses for a break and comes back; the bakery calls and
    he picks its main store; in the call he asks to pause for lunch after it, sends a DTMF
    digit, records a promise to pay its overdue title (amount summed from the title) and opens
    a service ticket; the caller hangs up; he extends his wrap-up; the disposition puts him in
    the lunch pause he asked for; from there he calls the customer back (his phone first) and
    hangs up; then he logs out of the queues."""
    desk.twin.set_agent_phone("Local/2001@agents", answer=True, delay=20)
    desk.twin.set_customer(SHARED, "human", delay=20)  # answers the call-back after 1 s
    page = await browser.new_page()
    await page.goto(desk.base + "/agent.html")
    await page.select_option("#lang", "en")
    await page.fill("input[name=username]", "agent")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login button[type=submit]")
    await page.locator("#btn-login", has_text="Log in to the queues").click()
    await page.locator("#state[data-state=available]").wait_for(timeout=10000)
    await page.select_option("#pause-reason", "break")
    await page.click("#btn-pause")
    await page.locator("#state[data-state=paused]", has_text="Intervalo").wait_for(timeout=10000)
    await page.click("#btn-available")
    await page.locator("#state[data-state=available]").wait_for(timeout=10000)
    await page.locator("#link[data-link=up]").wait_for(state="attached", timeout=10000)

    caller = await desk.twin.place_inbound_call("1133330001", SHARED, "Padaria")
    assert caller is not None
    await page.locator('#candidates button[data-customer="000001-01"]').click(timeout=15000)
    await page.locator("#view[data-customer='000001-01']").wait_for(timeout=10000)
    assert await page.locator('#titles tbody tr.overdue[data-key="NF-000100-A"]').count() == 1
    await page.locator("#call-panel[data-call-state=connected]").wait_for(timeout=30000)

    await page.select_option("#after-reason", "lunch")
    await page.click("#btn-pause-after")
    await page.locator("#pause-after-note", has_text="Almoço").wait_for(timeout=10000)
    await page.click('#keypad button[data-digit="5"]')
    await page.locator("#call-status", has_text="Sent").wait_for(timeout=10000)

    await page.click('[data-tab="promise-form"]')
    await page.check('#promise-titles input[value="NF-000100-A"]')
    assert await page.input_value("#promise-form input[name=amount]") == "250.50"
    await page.click("#promise-form button[type=submit]")
    await page.locator("#outcome-result", has_text="saved: 250.50").wait_for(timeout=30000)
    await page.click('[data-tab="ticket-form"]')
    await page.fill("#ticket-form input[name=product]", "P1")
    await page.fill("#ticket-form input[name=serial]", "SN-1")
    await page.fill("#ticket-form textarea[name=description]", "Grinder stuck again")
    await page.click("#ticket-form button[type=submit]")
    await page.locator("#outcome-result", has_text="opened").wait_for(timeout=30000)

    assert desk.twin.hangup(caller.name)
    await page.locator("#state[data-state=wrap_up]").wait_for(timeout=15000)
    ends = await page.evaluate("Agent.desk.me.wrap_up_ends_at")
    await page.click("#btn-wrap-extend")
    assert await later_wrap_up_end(page, ends + 29)
    await page.select_option("#disposition select[name=code]", "sale")
    await page.click("#disposition button[type=submit]")
    await page.locator("#state[data-state=paused]", has_text="Almoço").wait_for(timeout=15000)

    await page.click('#registration button.dial[data-number="+5511987654321"]')
    await page.locator("#state-status", has_text="Calling +5511987654321").wait_for(timeout=10000)
    await page.locator("#call-panel[data-direction=outbound]").wait_for(timeout=30000)
    assert await hang_up_once_answered(page)
    await page.locator("#state[data-state=paused]", has_text="Almoço").wait_for(timeout=30000)
    await page.locator("#call-panel").wait_for(state="hidden", timeout=10000)
    await page.click("#btn-logout")
    await page.locator("#state[data-state=logged_out]").wait_for(timeout=10000)


def _bridged_with(twin: Twin, name: str) -> set[str]:
    """Names of the channels sharing ``name``'s bridge (``name`` excluded)."""
    me = next((c for c in twin.channels() if c.name == name), None)
    if me is None or me.bridge is None:
        return set()
    return {c.name for c in twin.channels() if c.bridge == me.bridge} - {name}


async def test_agent_holds_the_call_and_takes_it_back(desk: EngineSite, browser: Any) -> None:
    """From the page, the agent puts Cafe Central on hold: the caller hears music in
    [call-hold] away from the agent's leg, the page says the call is on hold and offers
    "Retomar" instead of "Em espera"; the keypad is refused while held, with the reason;
    "Retomar" bridges the caller with the same leg of the agent again and the page shows the
    call in progress."""
    desk.twin.set_agent_phone("Local/2001@agents", answer=True, delay=20)
    page = await browser.new_page()
    await page.goto(desk.base + "/agent.html")
    await page.fill("input[name=username]", "agent")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login button[type=submit]")
    await page.click("#btn-login")
    await page.locator("#state[data-state=available]").wait_for(timeout=10000)
    await page.locator("#link[data-link=up]").wait_for(state="attached", timeout=10000)
    caller = await desk.twin.place_inbound_call("1133330001", CAFE, "Cafe")
    assert caller is not None
    await page.locator("#call-panel[data-call-state=connected]").wait_for(timeout=30000)
    for _ in range(200):  # the twin bridges the two legs as the engine learns the answer
        legs = _bridged_with(desk.twin, caller.name)
        if legs:
            break
        await asyncio.sleep(0.05)
    (agent_leg,) = legs
    assert await page.locator("#btn-unhold").is_hidden()

    await page.click("#btn-hold")
    await page.locator("#call-panel[data-held=true]").wait_for(timeout=15000)
    assert "em espera" in await page.locator("#call-info").inner_text()
    assert await page.locator("#btn-hold").is_hidden()
    for _ in range(200):
        held = next(c for c in desk.twin.channels() if c.name == caller.name)
        if (held.context, held.application, held.bridge) == ("call-hold", "MusicOnHold", None):
            break
        await asyncio.sleep(0.05)
    assert (held.context, held.application, held.bridge) == ("call-hold", "MusicOnHold", None)
    await page.click('#keypad button[data-digit="1"]')
    await page.locator("#call-error", has_text="espera").wait_for(timeout=10000)

    await page.click("#btn-unhold")
    await page.locator("#call-panel[data-held=false]").wait_for(timeout=15000)
    assert "em conversa" in await page.locator("#call-info").inner_text()
    assert await page.locator("#btn-unhold").is_hidden()
    for _ in range(200):
        if _bridged_with(desk.twin, caller.name) == {agent_leg}:
            break
        await asyncio.sleep(0.05)
    assert _bridged_with(desk.twin, caller.name) == {agent_leg}

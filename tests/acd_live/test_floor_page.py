"""The supervisor's live floor in a real headless Chromium, against the twin and the engine."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from playwright.async_api import expect
from redis.asyncio import Redis

from atende.audit import AuditLog
from tests.acd_live.conftest import PASSWORD, SPY_PHONE, Api, agent_on_a_call
from tests.conftest import REDIS_URL
from tests.integration.conftest import eventually

# the pages' work is the same on either database (the API tests run both): SQLite here
pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


class Watched:
    """A signed-in floor page and what it asked of the engine."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.loads = 0
        self.polls: list[str] = []
        self.sockets: list[Any] = []
        page.on("load", self._loaded)
        page.on("request", self._request)
        page.on("websocket", self._socket)

    def _loaded(self, _: Any) -> None:
        self.loads += 1

    def _socket(self, socket: Any) -> None:
        self.sockets.append(socket)

    def _request(self, request: Any) -> None:
        if "/api/calls" in request.url or "/api/acd/live" in request.url:
            self.polls.append(request.url)


async def signed_in(api: Api, browser: Any) -> Watched:
    await api.engine.acd.wait_ready()  # type: ignore[union-attr]
    watched = Watched(await browser.new_page())
    page = watched.page
    await page.goto(api.base + "/")
    await page.fill("input[name=username]", "supervisor")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.locator('#queues tbody tr[data-key="vendas"]').wait_for(timeout=10000)
    return watched


async def audit(api: Api, action: str) -> list[tuple[str, str, str, dict[str, Any] | None]]:
    """The audit rows of ``action``, once there are some (the page may show a change, pushed
    by the floor, before the API call that made it has written its row)."""
    for _ in range(100):
        rows = [
            (e.actor, e.outcome, e.target, e.details)
            for e in await AuditLog(api.engine.db).entries(action)
        ]
        if rows:
            return rows
        await asyncio.sleep(0.1)
    return []


async def test_supervisor_watches_a_call_arrive_be_answered_and_end(api: Api, browser: Any) -> None:
    """Without reloading or polling, the page shows the caller waiting, then connected to the
    agent who logs in, then gone when he hangs up; the queue counts him answered."""
    watched = await signed_in(api, browser)
    page = watched.page
    caller = await api.twin.place_inbound_call("1133330001", "5511999990001", "Maria")
    assert caller is not None
    waiting = page.locator('#waiting tbody tr[data-state="waiting"]', has_text="5511999990001")
    await waiting.wait_for(timeout=15000)
    assert "vendas" in await waiting.inner_text()
    await page.locator("#calls tbody tr", has_text="5511999990001").wait_for(timeout=15000)
    await expect(page.locator('#queues tbody tr[data-key="vendas"] td').nth(1)).to_have_text("1")

    api.twin.set_agent_phone("Local/2001@agents", answer=True, delay=0.5)
    await api.call("POST", "/api/acd/agents/2001/login", "agent")
    agent = page.locator('#agents tbody tr[data-key="2001"]')
    await expect(agent).to_have_attribute("data-state", "on_call", timeout=15000)
    connected = page.locator('#waiting tbody tr[data-state="connected"]', has_text="2001")
    await connected.wait_for(timeout=15000)

    assert api.twin.hangup(caller.name)
    await expect(page.locator("#waiting tbody tr")).to_have_count(0, timeout=15000)
    await expect(agent).not_to_have_attribute("data-state", "on_call", timeout=15000)
    answered = page.locator('#queues tbody tr[data-key="vendas"] td').nth(4)
    await expect(answered).to_have_text("1", timeout=15000)
    assert "hoje desde 00:00 (America/Sao_Paulo)" in await page.locator("#period").inner_text()
    assert watched.loads == 1 and watched.polls == [] and len(watched.sockets) == 1


async def test_banner_when_asterisk_is_down_and_its_return(api: Api, browser: Any) -> None:
    """Asterisk's manager stops: a banner says so, the waiting caller is greyed and his clock
    stops; when it returns the banner goes and the clocks move again. Redis unreachable: the
    banner says so until it answers again."""
    await api.call("POST", "/api/acd/agents/2001/login", "agent")  # sales: not for suporte
    watched = await signed_in(api, browser)
    page = watched.page
    caller = await api.twin.place_inbound_call("1133330002", "5511999990002", "Ana")
    assert caller is not None
    row = page.locator('#waiting tbody tr[data-state="waiting"]', has_text="5511999990002")
    await row.wait_for(timeout=15000)
    banner = page.locator("#banner")
    assert await banner.is_hidden()

    await api.twin.ami.stop()
    await expect(banner).to_contain_text("Asterisk pbx1 fora do ar", timeout=15000)
    await expect(row).to_have_class("stale", timeout=5000)
    clock = row.locator("td.clock")
    stopped = await clock.inner_text()
    await asyncio.sleep(2.5)
    assert await clock.inner_text() == stopped, "a clock kept ticking while Asterisk was away"

    await api.twin.ami.start()
    await expect(banner).to_be_hidden(timeout=20000)
    await expect(row).not_to_have_class("stale", timeout=5000)
    await expect(clock).not_to_have_text(stopped, timeout=5000)
    assert len(watched.sockets) == 1  # the page's socket stayed open through the outage

    # Redis: reachable, then a server that answers nothing, then reachable again
    good, bad = Redis.from_url(REDIS_URL), Redis.from_url("redis://127.0.0.1:1/0")
    watch = api.engine.redis_watch
    try:
        watch.ping = good.ping
        await eventually(lambda: watch.up is True, timeout=10)
        assert await banner.is_hidden()
        watch.ping = bad.ping
        await expect(banner).to_contain_text("Redis fora do ar", timeout=15000)
        await expect(page.locator("#agents tbody tr, #waiting tbody tr").first).to_have_class(
            "stale", timeout=5000
        )
        watch.ping = good.ping
        await expect(banner).to_be_hidden(timeout=15000)
    finally:
        watch.ping = None
        await good.aclose()
        await bad.aclose()
    assert api.twin.hangup(caller.name)


async def test_supervisor_pauses_an_agent_and_moves_a_caller(api: Api, browser: Any) -> None:
    """From the page: pause an agent with a reason, move a waiting caller to another queue and
    to the front; the engine applies each and writes an audit row for each. Skills the engine
    refuses are said so in the page's language, and left as they were."""
    await api.call("POST", "/api/acd/agents/2001/login", "agent")
    watched = await signed_in(api, browser)
    page = watched.page
    agent = page.locator('#agents tbody tr[data-key="2001"]')
    await expect(agent).to_have_attribute("data-state", "available", timeout=10000)
    await agent.locator("select.reason").select_option("lunch")
    await agent.locator("button.pause").click()
    await expect(agent).to_have_attribute("data-state", "paused", timeout=10000)
    await expect(agent).to_contain_text("em pausa (lunch)")
    acd = api.engine.acd
    assert acd is not None and acd.router.agent("2001").pause_reason == "lunch"
    await agent.locator("input.skills").fill("sales:muito")
    await agent.locator("button.save-skills").click()
    await expect(page.locator("#action-error")).to_have_text("Recusado: valores inválidos.")
    assert acd.router.agent("2001").skills == {"sales": 3}

    callers, rows = [], []
    for number in ("5511999990003", "5511999990004"):  # the second calls once the first waits
        callers.append(await api.twin.place_inbound_call("1133330002", number, "Rui"))
        rows.append(page.locator('#waiting tbody tr[data-state="waiting"]', has_text=number))
        await rows[-1].wait_for(timeout=15000)
    first, second = [await row.get_attribute("data-key") for row in rows]
    assert first is not None and second is not None
    await eventually(lambda: acd.router.waiting_calls("suporte") == [first, second], timeout=10)
    await rows[1].locator("button.front").click()
    await eventually(lambda: acd.router.waiting_calls("suporte") == [second, first], timeout=10)

    entered = acd.router.calls[first].entered_at
    await rows[0].locator("select.target").select_option("retencao")
    await rows[0].locator("button.move").click()
    await expect(rows[0].locator("td").nth(1)).to_have_text("retencao", timeout=10000)
    assert acd.router.calls[first].entered_at == entered

    assert await audit(api, "agent_pause") == [
        ("supervisor", "success", "2001", {"role": "supervisor", "reason": "lunch"})
    ]
    assert await audit(api, "call_move") == [
        ("supervisor", "success", first, {"role": "supervisor", "queue": "retencao"})
    ]
    assert await audit(api, "call_front") == [
        ("supervisor", "success", second, {"role": "supervisor"})
    ]
    for caller in callers:
        assert caller is not None and api.twin.hangup(caller.name)


async def test_expired_session_asks_to_sign_in_once(api: Api, browser: Any) -> None:
    """When the session ends the page closes its one socket and shows the sign-in form once;
    nothing keeps asking the engine; signing in again opens one socket again."""
    api.engine.floor.session_recheck = 0.3
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(api.base + "/")
    watched = Watched(page)
    await page.fill("input[name=username]", "supervisor")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.locator('#queues tbody tr[data-key="vendas"]').wait_for(timeout=10000)
    [cookie] = await context.cookies()
    assert await api.engine.users.revoke(cookie["value"])
    await page.locator("#login").wait_for(state="visible", timeout=10000)
    assert await page.locator("#floor").is_hidden()
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    await asyncio.sleep(2.0)
    assert asked == [] and len(watched.sockets) == 1
    assert watched.sockets[0].is_closed()

    await page.fill("input[name=username]", "supervisor")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.locator('#queues tbody tr[data-key="vendas"]').wait_for(timeout=10000)
    assert len(watched.sockets) == 2 and not watched.sockets[1].is_closed()
    await page.click("#logout")
    await page.locator("#login").wait_for(state="visible", timeout=10000)
    await context.close()


async def test_supervisor_listens_whispers_and_stops_from_the_page(api: Api, browser: Any) -> None:
    """On an agent's call the page offers listen, whisper and barge. Without a phone, and on
    an agent whose phone still rings (no call in progress), the page says why nothing rang.
    With his phone set, listening rings it into the twin's ChanSpy on the agent's leg and the
    page shows the session (also in English); whisper switches the same ChanSpy; stop ends it
    and the page says so. Each attempt is in the audit log."""
    api.twin.set_agent_phone("Local/2002@agents", answer=False)
    await api.call("POST", "/api/acd/agents/2002/login", "supervisor")
    watched = await signed_in(api, browser)
    page = watched.page
    ringing = await api.twin.place_inbound_call("1133330002", "5511999990005", "Rui")
    assert ringing is not None
    agent2 = page.locator('#agents tbody tr[data-key="2002"]')
    await agent2.locator("button.spy-listen").wait_for(timeout=15000)
    error = page.locator("#action-error")
    await agent2.locator("button.spy-listen").click()
    await expect(error).to_contain_text("você não tem telefone cadastrado", timeout=10000)
    status, _ = await api.call("PATCH", "/api/users/supervisor", "admin", {"phone": SPY_PHONE})
    assert status == 200
    await agent2.locator("button.spy-listen").click()
    await expect(error).to_contain_text("o agente 2002 não tem chamada em andamento", timeout=10000)
    assert await page.locator("#spy").is_hidden()
    assert not [c for c in api.twin.channels() if c.context == "spy"]

    leg = await agent_on_a_call(api)
    agent = page.locator('#agents tbody tr[data-key="2001"]')
    await agent.locator("button.spy-listen").click()
    panel = page.locator("#spy")
    await expect(panel).to_have_attribute("data-state", "spying", timeout=15000)
    await expect(panel).to_contain_text("Você está ouvindo a chamada do agente 2001")
    assert await error.inner_text() == ""
    assert [(s.spyee, s.mode) for s in api.twin.spies()] == [(leg, "listen")]
    await expect(agent).to_contain_text("supervisor ouvindo")
    await expect(agent.locator("button.spy-listen")).to_have_attribute("aria-pressed", "true")

    await page.select_option("#lang", "en")
    await expect(panel).to_contain_text("You are listening to agent 2001's call")
    await agent.locator("button.spy-whisper").click()
    await expect(panel).to_contain_text("whispering to agent 2001", timeout=15000)
    await eventually(lambda: [(s.spyee, s.mode) for s in api.twin.spies()] == [(leg, "whisper")])
    spyer = api.twin.spies()[0].spyer

    await panel.locator("#spy-stop").click()
    await expect(panel).to_have_attribute("data-state", "ended", timeout=15000)
    await expect(panel).to_contain_text("Listening to agent 2001's call ended: you stopped it.")
    await eventually(lambda: not any(c.name == spyer for c in api.twin.channels()))
    assert api.twin.spies() == []
    assert await agent.locator("button.spy-stop").count() == 0
    await page.select_option("#lang", "pt-BR")

    rows = [
        (e.action, e.outcome, e.target)
        for e in await AuditLog(api.engine.db).entries()
        if e.action.startswith("spy_")
    ]
    assert rows == [
        ("spy_started", "no_phone", "2002"),
        ("spy_started", "no_call", "2002"),
        ("spy_started", "accepted", "2001"),
        ("spy_mode_changed", "accepted", "2001"),
        ("spy_stopped", "accepted", "2001"),
    ]
    assert watched.polls == [] and len(watched.sockets) == 1
    assert api.twin.hangup(ringing.name) and api.twin.hangup(leg)

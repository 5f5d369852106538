"""Each role lands on its own page after signing in, and a page opened by a role that may not
use it says so and links to that role's page (real headless Chromium)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import PASSWORDS, WebServer

# the pages' work is the same on either database (the API tests run both): SQLite here
pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


async def _sign_in(browser: Any, url: str, role: str) -> Any:
    page = await browser.new_page()
    await page.goto(url)
    await page.fill("input[name=username]", role)
    await page.fill("input[name=password]", PASSWORDS[role])
    await page.click("#login button[type=submit]")
    return page


@pytest.mark.parametrize(
    ("role", "home"), [("agent", "/agent.html"), ("campaign_manager", "/campaigns.html")]
)
async def test_agent_and_campaign_manager_land_on_their_page(
    web_server: WebServer, browser: Any, role: str, home: str
) -> None:
    """Signing in on the floor page sends an agent to the agent's desk and a campaign manager
    to the campaigns page, instead of back to the sign-in form; reopening the floor page while
    signed in goes there again."""
    page = await _sign_in(browser, web_server.url + "/", role)
    await page.wait_for_url(web_server.url + home, timeout=10000)
    await page.goto(web_server.url + "/")
    await page.wait_for_url(web_server.url + home, timeout=10000)


async def test_supervisor_stays_on_the_floor(web_server: WebServer, browser: Any) -> None:
    """A supervisor's home is the floor page itself: he signs in and sees the live calls."""
    page = await _sign_in(browser, web_server.url + "/", "supervisor")
    await page.locator("#floor").wait_for(state="visible", timeout=10000)
    assert page.url == web_server.url + "/"


async def test_a_supervisor_on_the_agent_page_is_told_and_linked_home(
    web_server: WebServer, browser: Any
) -> None:
    """The agent's desk opened by a supervisor shows why (pt-BR by default) and a link to the
    supervisor's page; the desk itself stays hidden."""
    page = await _sign_in(browser, web_server.url + "/agent.html", "supervisor")
    notice = page.locator("#not-for-you")
    await notice.wait_for(timeout=10000)
    assert "não é para o perfil supervisor" in await notice.inner_text()
    assert await notice.locator("a").get_attribute("href") == "/"
    assert await page.locator("#desk").is_hidden()
    assert await page.locator("#login").is_hidden()


async def test_an_agent_on_the_reports_page_is_told_in_english_too(
    web_server: WebServer, browser: Any
) -> None:
    """The reports page opened by a signed-in agent says it is not for agents and links to the
    agent's desk; with English chosen the notice is in English."""
    page = await _sign_in(browser, web_server.url + "/", "agent")
    await page.wait_for_url(web_server.url + "/agent.html", timeout=10000)
    await page.evaluate("localStorage.setItem('atende.lang', 'en')")
    await page.goto(web_server.url + "/reports.html")
    notice = page.locator("#not-for-you")
    await notice.wait_for(timeout=10000)
    assert "This page is not for the agent role." in await notice.inner_text()
    assert await notice.locator("a").get_attribute("href") == "/agent.html"
    assert await page.locator("#report").is_hidden()

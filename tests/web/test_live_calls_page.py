"""The live calls page in a real headless Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import PASSWORDS, WebServer

# the pages' work is the same on either database (the API tests run both): SQLite here
pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


async def test_supervisor_signs_in_and_sees_calls(web_server: WebServer, browser: Any) -> None:
    """A supervisor signs in on the page and the live calls table lists the engine's calls."""
    web_server.calls.append(
        {
            "server": "pbx1",
            "linkedid": "1795822159.0",
            "caller": "5511999990001",
            "state": "on_hold",
            "where": "inbound/5511999990001",
            "channels": 2,
            "started_at": "2026-11-27T23:29:19Z",
        }
    )
    page = await browser.new_page()
    await page.goto(web_server.url + "/")
    await page.fill("input[name=username]", "supervisor")
    await page.fill("input[name=password]", PASSWORDS["supervisor"])
    await page.click("button[type=submit]")
    row = page.locator('#calls tbody tr[data-linkedid="1795822159.0"]')
    await row.wait_for(timeout=5000)
    assert "5511999990001" in await row.inner_text()
    assert "on_hold" in await row.inner_text()
    assert "2026-11-27T" not in await row.inner_text()  # times shown as clock times
    assert await page.locator("#who").inner_text() == "supervisor (supervisor)"
    assert await page.locator("#login").is_hidden()  # the sign-in form goes away
    # a call that ends disappears on the next refresh
    web_server.calls.clear()
    await page.locator("#no-calls").wait_for(state="visible", timeout=5000)


async def test_wrong_password_shows_error(web_server: WebServer, browser: Any) -> None:
    """A wrong password keeps the sign-in form and says why."""
    page = await browser.new_page()
    await page.goto(web_server.url + "/")
    await page.fill("input[name=username]", "supervisor")
    await page.fill("input[name=password]", "not-the-password")
    await page.click("button[type=submit]")
    error = page.locator("#login-error", has_text="wrong username or password")
    await error.wait_for(timeout=5000)
    assert await page.locator("#floor").is_hidden()


async def test_session_cookie_is_out_of_reach_and_sign_out_ends_it(
    web_server: WebServer, browser: Any
) -> None:
    """The page's session is an HttpOnly SameSite=Strict cookie no script can read; nothing is
    kept in localStorage; after "Sign out" a reload shows the sign-in form, not the calls."""
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(web_server.url + "/")
    await page.fill("input[name=username]", "supervisor")
    await page.fill("input[name=password]", PASSWORDS["supervisor"])
    await page.click("button[type=submit]")
    await page.locator("#no-calls").wait_for(state="visible", timeout=5000)
    [cookie] = await context.cookies()
    assert (cookie["name"], cookie["httpOnly"], cookie["sameSite"]) == (
        "atende_session",
        True,
        "Strict",
    )
    assert await page.evaluate("document.cookie") == ""
    assert await page.evaluate("localStorage.length") == 0
    # the session survives a reload (the cookie, not the page, holds it)
    await page.reload()
    await page.locator("#no-calls").wait_for(state="visible", timeout=5000)
    await page.click("#logout")
    await page.locator("#login").wait_for(state="visible", timeout=5000)
    assert await context.cookies() == []
    await page.reload()
    await page.locator("#login").wait_for(state="visible", timeout=5000)
    assert await page.locator("#floor").is_hidden()
    await context.close()

"""A supervisor watches a twin caller arrive on the live calls page (real Chromium)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from atende.auth import Role
from tests.integration.conftest import Stack

pytestmark = pytest.mark.browser


async def test_live_page_shows_the_twin_caller(stack: Stack, browser: Any) -> None:
    """The caller placed on the twin appears on the page, on hold, then disappears after hangup."""
    await stack.engine.users.create_user("sup", "supervisor-pass", Role.SUPERVISOR)
    page = await browser.new_page()
    await page.goto(f"http://127.0.0.1:{stack.engine.http_port}/")
    await page.fill("input[name=username]", "sup")
    await page.fill("input[name=password]", "supervisor-pass")
    await page.click("button[type=submit]")
    await page.locator("#no-calls").wait_for(state="visible", timeout=5000)

    ivr = await stack.twin.place_inbound_call("1133330001", "5511987654321", "Carla Dias")
    assert ivr is not None
    row = page.locator("#calls tbody tr", has_text="5511987654321")
    await row.wait_for(timeout=10000)
    on_hold = page.locator("#calls tbody tr", has_text="on_hold")
    await on_hold.first.wait_for(timeout=10000)  # locators: the page's CSP forbids eval
    assert "pbx1" in await row.inner_text()

    assert stack.twin.hangup(ivr.name)
    await expect(on_hold).to_have_count(0, timeout=15000)

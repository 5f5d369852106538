"""The live page's queues and agents section, in a real headless Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from tests.acd_live.conftest import PASSWORD, Api

pytestmark = pytest.mark.browser


async def test_supervisor_sees_queues_and_agents(api: Api, browser: Any) -> None:
    """After signing in, the page lists every queue and the agents with their state."""
    await api.call("POST", "/api/acd/agents/2001/login", "agent")
    await api.call("POST", "/api/acd/agents/2001/pause", "agent", {"reason": "lunch"})
    page = await browser.new_page()
    await page.goto(api.base + "/")
    await page.fill("input[name=username]", "supervisor")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    agent = page.locator('#agents tbody tr[data-key="2001"]')
    await agent.wait_for(timeout=5000)
    assert await agent.get_attribute("data-state") == "paused"
    assert "em pausa (lunch)" in await agent.inner_text()
    assert "sales:3" in await agent.inner_text()
    queues = page.locator("#queues tbody tr")
    assert sorted(await queues.all_inner_texts())[0].startswith("cobranca")
    assert await queues.count() == 4

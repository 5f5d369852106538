"""The campaign manager's page in headless Chromium shows the chosen campaign's leads with the
status the dialer left them in, filtered by status; the figures pushed to the page follow the
dialer's results."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from atende.db import upgrade
from campaigns.dialer.core import Agents
from campaigns.dialer.sql import SqlDialerStore
from tests.campaigns.web import PASSWORD, campaign_server
from tests.conftest import migrated_sqlite
from tests.dialer.leads_world import campaign_with_leads, stored_dialler
from tests.dialer.stack import OPENING

pytestmark = pytest.mark.browser

WAIT = 20_000  # ms; a generous bound for a busy machine, not a measured time


async def test_manager_sees_each_leads_status(tmp_path: Path, browser: Any) -> None:
    """Two of four leads dialled (Ana reached: done; Bia busy: retry with its next try): the
    page's lead list shows each status (Caio still being dialled: new, Duda new), the retry filter
    shows Bia alone, and the figures read three leads to dial; once Caio is reached, the
    figures pushed to the page read two."""
    url = migrated_sqlite(tmp_path / "leads.db")
    await asyncio.to_thread(upgrade, url)
    async with campaign_server(url) as server:
        cid = await campaign_with_leads(server)
        core = await stored_dialler(server, cid)
        store = SqlDialerStore(server.engine)
        attempts = {d.lead_id: d.attempt_id for d in core.tick(OPENING, Agents(free=3)).dial}
        first, second, third = sorted(attempts)
        reach = attempts[first]
        core.answered(reach, OPENING)
        core.amd(reach, "HUMAN", "HUMAN-800-800", OPENING)
        core.connected(reach, OPENING)
        done = [core.ended(reach, OPENING + timedelta(minutes=1))]
        done.append(core.not_answered(attempts[second], "5", OPENING))
        await store.record(
            str(cid), [(o, core.book.leads[o.attempt.lead_id]) for o in done if o], OPENING
        )

        page = await browser.new_page()
        await page.goto(server.base + "/campaigns.html")
        await page.fill("#login input[name=username]", "campaign_manager")
        await page.fill("#login input[name=password]", PASSWORD)
        await page.click("#login button[type=submit]")
        await page.click(f'#campaigns tr[data-id="{cid}"] button[data-action="figures"]')
        rows = page.locator("#lead-list tbody tr")
        await expect(rows).to_have_count(4, timeout=WAIT)
        statuses = {
            await r.get_attribute("data-lead"): await r.get_attribute("data-status")
            for r in await rows.all()
        }
        assert statuses == {
            str(first): "done", str(second): "retry", str(third): "new",
            str(max(core.book.leads)): "new",
        }  # fmt: skip
        await page.select_option("#leads select[name=status]", "retry")
        await expect(rows).to_have_count(1, timeout=WAIT)
        assert "retry_busy" in await rows.first.inner_text()
        await expect(page.locator("#f-remaining_leads")).to_have_text("3", timeout=WAIT)

        third_call = attempts[third]
        core.answered(third_call, OPENING)
        core.amd(third_call, "HUMAN", "HUMAN-800-800", OPENING)
        core.connected(third_call, OPENING)
        outcome = core.ended(third_call, OPENING + timedelta(minutes=2))
        assert outcome is not None
        lead = core.book.leads[outcome.attempt.lead_id]
        await store.record(str(cid), [(outcome, lead)], OPENING)
        await expect(page.locator("#f-remaining_leads")).to_have_text("2", timeout=WAIT)

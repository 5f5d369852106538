"""The reports page in headless Chromium: a supervisor opens the day, reads it, exports it."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from atende.db import upgrade
from tests.conftest import migrated_sqlite
from tests.reports.conftest import PASSWORD, report_server

pytestmark = pytest.mark.browser


def cells(text: str) -> list[str]:
    return [c.strip() for c in text.split("\t")]


async def test_supervisor_reads_the_day_in_charts_and_table_and_exports_it(
    tmp_path: Path, browser: Any
) -> None:
    """Signed in as a supervisor: the period and time zone are stated; the 21:00 half hour of
    all queues and the 20:30 one of vendas show the hand-computed figures; four charts are
    drawn by the locally served uPlot (no request leaves the engine); the CSV and XLSX exports
    download with the same figures; the staffing form gives the Erlang C reference (14 agents,
    20 scheduled) and takes the day's volume as a forecast; English is one choice away."""
    url = migrated_sqlite(tmp_path / "reports.db")
    await asyncio.to_thread(upgrade, url)
    async with report_server(url) as server:
        context = await browser.new_context(accept_downloads=True)
        page = await context.new_page()
        hosts: set[str] = set()
        page.on("request", lambda req: hosts.add(req.url.split("/")[2]))
        await page.goto(server.base + "/reports.html")
        await page.fill("input[name=username]", "supervisor")
        await page.fill("input[name=password]", PASSWORD)
        await page.click("#login button[type=submit]")

        period = page.locator("#period")
        await page.wait_for_selector("#period:not(:empty)")
        assert await period.inner_text() == (
            "Período: 2026-03-10, intervalos de 30 min, fuso America/Sao_Paulo"
        )
        nine = page.locator('#intervals tbody tr[data-start="21:00"]')
        # start, offered, answered, abandoned, SL, ASA, AHT, longest wait (vendas + suporte)
        assert cells(await nine.inner_text()) == [
            "21:00", "5", "2", "1", "0.0%", "75.0", "95.0", "180",
        ]  # fmt: skip
        assert await page.locator(".uplot canvas").count() == 4  # volume, SL, ASA, agents

        await page.select_option("select[name=queue]", "vendas")
        before = page.locator('#intervals tbody tr[data-start="20:30"]')
        assert cells(await before.inner_text()) == [
            "20:30", "3", "2", "1", "33.3%", "20.0", "310.0", "30",
        ]  # fmt: skip

        async with page.expect_download() as info:
            await page.click("button[data-export=queues][data-format=csv]")
        download = await info.value
        assert download.suggested_filename == "queues-2026-03-10-2026-03-10-30.csv"
        text = await asyncio.to_thread(Path(await download.path()).read_text)
        lines = list(csv.DictReader(io.StringIO(text)))
        line = next(x for x in lines if x["queue"] == "vendas" and "T21:00" in x["interval_start"])
        assert (line["offered"], line["answered"], line["timed_out"]) == ("3", "1", "1")

        async with page.expect_download() as info:
            await page.click("button[data-export=agents][data-format=xlsx]")
        data = await asyncio.to_thread(Path(await (await info.value).path()).read_bytes)
        book = load_workbook(io.BytesIO(data))
        rows = list(book["Agentes"].iter_rows(values_only=True))
        assert "Pausa: almoco" in rows[0]

        plan = page.locator('#staffing-plan tbody tr[data-start="08:00"]')
        await page.click("#staffing-form button[type=submit]")  # 100 calls, 180 s, 80/20, 30%
        await plan.wait_for()
        # start, calls, AHT, Erlangs, agents, scheduled, SL, occupancy, ASA
        assert cells(await plan.inner_text()) == [
            "08:00", "100", "180", "10.00", "14", "20", "88.8%", "71.4%", "7.84",
        ]  # fmt: skip
        await page.click("#from-report")  # the day's vendas volume becomes the forecast
        forecast = await page.locator("textarea[name=forecast]").input_value()
        assert forecast.splitlines() == ["20:30 3 310", "21:00 3 70", "22:00 1 180"]
        await page.click("#staffing-form button[type=submit]")
        await page.locator('#staffing-plan tbody tr[data-start="22:00"]').wait_for()
        assert await page.locator("#staffing-plan tbody tr").count() == 3

        await page.select_option("#lang", "en")
        assert await page.locator("h1").inner_text() == "Interval reports"
        assert (await period.inner_text()).startswith("Period: 2026-03-10, 30-minute intervals")
        assert hosts == {server.base.split("/")[2]}
        await context.close()

"""The campaign manager's page in headless Chromium: create a campaign, upload a list with
bad rows, follow its progress, download the rejection report, start the campaign and watch
its figures."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from atende.db import upgrade
from tests.conftest import migrated_sqlite

from .helpers import cpf
from .web import PASSWORD, campaign_server

pytestmark = pytest.mark.browser

WAIT = 20_000  # ms; a generous bound for a busy machine, not a measured time


def _csv(rows: list[list[str]]) -> bytes:
    return "\r\n".join(";".join(r) for r in rows).encode("cp1252")


async def test_manager_uploads_starts_and_watches(tmp_path: Path, browser: Any) -> None:
    """Signed in as the campaign manager: a non-0303 caller id is refused with its code; the
    campaign is created; a Latin-1 list with three bad rows shows its progress to the end
    (2 leads added, 3 rejected) and its report downloads with one line per problem; the
    campaign starts; its figures read 2 leads to dial, 0.0% abandons of a 3.0% cap and the
    Anatel short-call cap; a second list moves the leads to dial to 5; English is one
    choice away."""
    url = migrated_sqlite(tmp_path / "page.db")
    await asyncio.to_thread(upgrade, url)
    async with campaign_server(url) as server:
        context = await browser.new_context(accept_downloads=True)
        page = await context.new_page()
        hosts: set[str] = set()
        page.on("request", lambda req: hosts.add(req.url.split("/")[2]))
        await page.goto(server.base + "/campaigns.html")
        await page.fill("#login input[name=username]", "campaign_manager")
        await page.fill("#login input[name=password]", PASSWORD)
        await page.click("#login button[type=submit]")
        await expect(page.locator("#no-campaigns")).to_be_visible(timeout=WAIT)

        form = page.locator("#create")
        await form.locator("input[name=name]").fill("Vendas Dez")
        await form.locator("select[name=kind]").select_option("televendas")
        await form.locator("input[name=queue]").fill("vendas")
        await form.locator("input[name=caller_id]").fill("11 3333 4444")
        await form.locator("button[type=submit]").click()
        await expect(page.locator("#create-error")).to_contain_text(
            "caller_id_not_0303", timeout=WAIT
        )
        await form.locator("input[name=caller_id]").fill("0303 1234 5678")
        await form.locator("button[type=submit]").click()
        row = page.locator("#campaigns tbody tr").first
        await expect(row).to_contain_text("Rascunho", timeout=WAIT)
        assert "Televendas" in await row.inner_text()

        bad = _csv([
            ["Nome", "Telefone", "CPF"],
            ["Ana", "(11) 98765-4321", cpf(1)],
            ["Bruno", "123", cpf(2)],
            ["Carla", "11911112222", "111.111.111-11"],
            ["Ana de novo", "11922223333", cpf(1)],
            ["Davi", "21999998888", cpf(3)],
        ])  # fmt: skip
        upload = page.locator("#upload")
        await expect(upload.locator("select[name=campaign] option:checked")).to_have_text(
            "Vendas Dez"
        )
        await upload.locator("input[name=list]").fill("dez-1")
        await upload.locator("input[name=file]").set_input_files(
            {"name": "dez.csv", "mimeType": "text/csv", "buffer": bad}
        )
        await upload.locator("button[type=submit]").click()
        status = page.locator("#upload-status")
        await expect(status).to_contain_text("Concluído", timeout=WAIT)
        assert "5 linhas lidas, 2 leads incluídos, 3 linhas rejeitadas" in await status.inner_text()
        assert "tax_id_invalid: 1" in await page.locator("#upload-reasons").inner_text()
        async with page.expect_download() as info:
            await page.click("#upload-report")
        download = await info.value
        assert download.suggested_filename.startswith("rejected-")
        text = await asyncio.to_thread(Path(await download.path()).read_text, "utf-8-sig")
        report = list(csv.DictReader(io.StringIO(text)))
        assert [(r["line"], r["reason"]) for r in report] == [
            ("3", "phone_invalid"), ("3", "no_valid_phone"), ("4", "tax_id_invalid"),
            ("5", "duplicate"),
        ]  # fmt: skip

        await row.locator("button[data-action=start]").click()
        await expect(row).to_contain_text("Em execução", timeout=WAIT)
        await expect(page.locator("#f-remaining_leads")).to_have_text("2", timeout=WAIT)
        await expect(page.locator("#f-abandon")).to_have_text("0.0% / 3.0%")
        await expect(page.locator("#f-short")).to_have_text("0 / 100000")
        assert "discador parado" in await page.locator("#figures-source").inner_text()

        more = _csv([["Nome", "Celular"]] + [[f"N{i}", f"1197777000{i}"] for i in range(3)])
        await upload.locator("input[name=list]").fill("dez-2")
        await upload.locator("input[name=file]").set_input_files(
            {"name": "dez2.csv", "mimeType": "text/csv", "buffer": more}
        )
        await upload.locator("button[type=submit]").click()
        await expect(page.locator("#f-remaining_leads")).to_have_text("5", timeout=WAIT)
        await expect(row).to_contain_text("2", timeout=WAIT)  # two lists

        await page.select_option("#lang", "en")
        await expect(row).to_contain_text("Running")
        assert await page.locator("h1").inner_text() == "Campaigns"
        await row.locator("button[data-action=pause]").click()
        await expect(row).to_contain_text("Paused", timeout=WAIT)
        assert hosts == {server.base.split("/")[2]}  # nothing fetched from elsewhere
        await context.close()

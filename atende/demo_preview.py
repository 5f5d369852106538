"""The demo's preview campaign: the first demo customers with a phone, offered one at a time
to the vendas agents (``agent2001``'s desk), who see the customer and dial or skip."""

from __future__ import annotations

import asyncio
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from atende.web.campaign_support import AuditAdapter
from campaigns.app.create_campaign import create_campaign
from campaigns.app.start_campaign import start_campaign
from campaigns.app.upload_list import UploadRequest, upload_list
from campaigns.domain.campaign import CampaignIn
from campaigns.files.source import file_sha256, open_rows
from campaigns.sql.campaign_store import SqlCampaignStore
from campaigns.sql.store import SqlListStore
from erp_bridge.domain import entities as e
from erp_bridge.embedded.tables import TABLES

DEMO_PREVIEW = "Previa demo"
DEMO_PREVIEW_LIST = "demo-previa"
DEMO_PREVIEW_LEADS = 20


async def seed_demo_preview(engine: AsyncEngine, now: datetime) -> None:
    """The preview campaign over the first demo customers with a phone, started (once)."""
    store = SqlCampaignStore(engine)
    if any(c.name == DEMO_PREVIEW for c in await store.all()):
        return
    customers = TABLES[e.Customer].c
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                sa.select(customers.code, customers.store, customers.name, customers.phone)
                .where(customers.phone != "")
                .order_by(customers.code, customers.store)
                .limit(DEMO_PREVIEW_LEADS)
            )
        ).all()
    if not rows:
        return
    lines = ["Nome;Telefone;customer_id"] + [
        f"{r.name.replace(';', ' ')};{r.phone};{r.code}-{r.store}" for r in rows
    ]
    path = await asyncio.to_thread(_write_temp, "\r\n".join(lines) + "\r\n")
    try:
        request = UploadRequest(DEMO_PREVIEW_LIST, "demo-previa.csv", file_sha256(path))
        result = await upload_list(
            SqlListStore(engine), open_rows(path), request, clock=lambda: datetime.now(UTC)
        )
    finally:
        await asyncio.to_thread(path.unlink, True)
    fields = CampaignIn(
        name=DEMO_PREVIEW, kind="televendas", queue="vendas", caller_id="0303 1122 3344",
        profile="BR", mode="preview", list_ids=[result.upload.list_id],
    )  # fmt: skip
    campaign = await create_campaign(store, SqlListStore(engine), fields, now)
    await start_campaign(store, AuditAdapter(engine), None, campaign.id, "demo", now)


def _write_temp(text: str) -> Path:
    fd, name = tempfile.mkstemp(prefix="atende-demo-leads-", suffix=".csv")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    return Path(name)

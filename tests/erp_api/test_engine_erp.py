"""The engine as ``atende serve`` runs it: its ERP endpoints and its own outbox worker, and
the ERP adapter chosen by the settings."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import aiohttp
import pytest

from acd.domain import QueueLogRecord
from acd.domain.queue_log import QueueEvent
from acd.live.sql import AcdConfigStore
from atende.auth import Role
from atende.erp_runtime import build_erp
from atende.settings import AmiServer, SettingsError, load_settings
from atende.wiring import Engine
from crm_sync.adapters.sql_interactions import SqlInteractions
from crm_sync.domain.interactions import Interaction
from erp_bridge.embedded.adapter import EmbeddedErp
from erp_bridge.embedded.seed import add_records
from erp_bridge.protheus.adapter import ProtheusErp
from telephony.twin import AmiUser, Twin, TwinConfig
from tests.erp_api.conftest import world


async def test_engine_worker_delivers_an_outcome_recorded_over_http(database_url: str) -> None:
    """With the engine running (linked to the Asterisk twin), an agent records an order as
    the call's outcome over HTTP; the engine's own outbox worker delivers it to the embedded
    ERP and the outcome shows delivered; stopping the engine stops the worker."""
    twin = Twin(TwinConfig(ami_port=0, users={"atende": AmiUser("atende")}))
    port = await twin.start()
    settings = load_settings(
        database_url=database_url,
        ami_servers=[AmiServer(name="pbx1", port=port)],
        agi_port=0,
        http_port=0,
    )
    engine = Engine(settings)
    try:
        await engine.start()
        assert isinstance(engine.erp.port, EmbeddedErp)
        await add_records(engine.db, world())
        await engine.users.create_user("ana", "ana-pass-123", Role.AGENT)
        acd = AcdConfigStore(engine.db)  # ana (agent 2001) took call 1764255600.7
        await acd.save_agent("2001", interface="PJSIP/2001", username="ana")
        await acd.append_log(
            [QueueLogRecord(1764255600.0, "1764255600.7", "vendas", "2001", QueueEvent.CONNECT)]
        )
        today = Interaction("1764255600.7", "000002", "01", "2001", "vendas", datetime.now(UTC))
        await SqlInteractions(engine.db).record(today)  # the call was with customer 000002
        url = f"http://127.0.0.1:{engine.http_port}"
        order = {
            "customer_code": "000002",
            "customer_store": "01",
            "lines": [{"product": "P1", "quantity": "2"}],
        }
        async with aiohttp.ClientSession() as http:
            async with http.post(
                url + "/api/login", json={"username": "ana", "password": "ana-pass-123"}
            ) as resp:
                auth = {"Authorization": f"Bearer {(await resp.json())['token']}"}
            async with http.post(
                url + "/api/erp/outcomes",
                json={"kind": "sales_order", "payload": order, "call_id": "1764255600.7"},
                headers=auth,
            ) as resp:
                assert resp.status == 202
                outcome_id = (await resp.json())["id"]
            body = {}
            for _ in range(100):
                async with http.get(url + f"/api/erp/outcomes/{outcome_id}", headers=auth) as resp:
                    body = await resp.json()
                if body["status"] == "delivered":
                    break
                await asyncio.sleep(0.1)
        assert body["status"] == "delivered", body
        assert body["result"]["status"] == "released"
        assert body["result"]["lines"][0]["value"] == "20.00"
    finally:
        await engine.stop()
        await twin.stop()
    assert all(task.done() for task in engine._tasks)


async def test_settings_choose_the_erp_adapter() -> None:
    """``erp_adapter=protheus`` builds the Protheus adapter (its password kept secret in the
    settings' repr) and needs a base URL; the default is the embedded ERP; an unknown time
    zone is refused by name."""
    settings = load_settings(
        erp_adapter="protheus",
        protheus_base_url="https://erp.example.com/rest",
        protheus_username="atende",
        protheus_password="s3cret-pw",
    )
    assert "s3cret-pw" not in repr(settings)
    from atende.db import make_engine

    db = make_engine("sqlite+aiosqlite:///:memory:")
    runtime = build_erp(settings, db)
    try:
        assert isinstance(runtime.port, ProtheusErp) and runtime.embedded is None
        assert runtime.client is not None
        assert runtime.client.config.password == "s3cret-pw"
        assert runtime.client.config.tenant_id == "01,0101"
        embedded = build_erp(load_settings(), db)
        assert isinstance(embedded.port, EmbeddedErp) and embedded.embedded is embedded.port
    finally:
        await runtime.close()
        await db.dispose()
    with pytest.raises(SettingsError, match="protheus_base_url"):
        load_settings(erp_adapter="protheus")
    with pytest.raises(SettingsError, match=r"ATENDE_ERP_TIMEZONE: .*unknown time zone"):
        load_settings(erp_timezone="Mars/Olympus")

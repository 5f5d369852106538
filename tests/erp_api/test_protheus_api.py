"""The ERP endpoints with the Protheus adapter (against the local Protheus fake over TCP):
what Protheus serves, what it has no REST for, and an ERP that refuses or does not answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from atende.auth import Role, UserStore
from atende.db import make_engine
from atende.web.app import build_app
from atende.web.erp_support import ErpApi
from erp_bridge.domain.taxid import cnpj_check_digits
from erp_bridge.protheus.adapter import ProtheusErp
from erp_bridge.protheus.client import ProtheusClient, ProtheusConfig
from tests.erp.fake_protheus import FakeProtheus
from tests.erp_api.conftest import closed_port

TAX_ID = "000000030001" + cnpj_check_digits("000000030001")


def protheus_customer(n: int) -> dict[str, Any]:
    """A customer as Protheus' customerVendor API answers it."""
    base = f"{n:08d}0001"
    return {
        "type": 1,
        "code": f"{n:06d}",
        "storeId": "01",
        "name": f"Cliente {n} Ltda",
        "shortName": f"CLI{n}",
        "entityType": "J",
        "registerSituation": "1",
        "governmentalInformation": [{"name": "CNPJ", "id": base + cnpj_check_digits(base)}],
        "listOfCommunicationInformation": [
            {"internationalDiallingCode": "55", "diallingCode": "11", "phoneNumber": "912341234"}
        ],
        "creditInformation": {"creditLimit": 5000, "creditLimitDate": "2027-01-31"},
    }


@pytest.fixture
async def protheus_url() -> AsyncIterator[str]:
    """The Protheus fake on an ephemeral port; yields its REST base URL."""
    runner = web.AppRunner(FakeProtheus([protheus_customer(n) for n in range(1, 6)]).app())
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/rest"
    await runner.cleanup()


async def call(url: str, token: str, method: str, path: str) -> tuple[int, Any]:
    """One request as the token's user."""
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, url + path, headers={"Authorization": f"Bearer {token}"}) as resp,
    ):
        return resp.status, await resp.json()


async def test_protheus_serves_customers_and_answers_not_supported(
    database_url: str, protheus_url: str
) -> None:
    """Customers come from Protheus; releasing credit or listing blocked orders answer 501
    ``not_supported``; a wrong Protheus password (OAuth2 sign-in) is 502 ``erp_auth_failed``;
    Protheus down is 503 ``erp_unavailable``."""
    engine = make_engine(database_url)
    users = UserStore(engine)
    await users.create_user("sup", "sup-pass-123", Role.SUPERVISOR)
    uid = await users.user_id("sup")
    token = await users.issue_token(uid, "test", None)
    down_port = closed_port()
    clients = [
        ProtheusClient(ProtheusConfig(protheus_url, "01,0101", "admin", "s3cret", timeout=5)),
        ProtheusClient(
            ProtheusConfig(protheus_url, "01,0101", "admin", "wrong", auth="oauth2", timeout=5)
        ),
        ProtheusClient(
            ProtheusConfig(f"http://127.0.0.1:{down_port}/rest", "01,0101", "a", "b", timeout=2)
        ),
    ]
    runners = []
    try:
        urls = []
        for client in clients:
            runner = web.AppRunner(
                build_app(users, list, ErpApi(ProtheusErp(client), engine, None))
            )
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            runners.append(runner)
            urls.append(f"http://127.0.0.1:{runner.addresses[0][1]}")
        good, wrong, down = urls

        status, found = await call(good, token, "GET", f"/api/erp/customers?tax_id={TAX_ID}")
        assert status == 200, found
        assert [(c["code"], c["name"]) for c in found["customers"]] == [
            ("000003", "Cliente 3 Ltda")
        ]
        for method, path in [
            ("POST", "/api/erp/credit/orders/000001/release"),
            ("GET", "/api/erp/credit/blocked"),
            ("GET", "/api/erp/collection"),
        ]:
            status, body = await call(good, token, method, path)
            assert (status, body["error"]["code"]) == (501, "not_supported"), path

        status, body = await call(wrong, token, "GET", f"/api/erp/customers?tax_id={TAX_ID}")
        assert (status, body["error"]["code"]) == (502, "erp_auth_failed")
        status, body = await call(down, token, "GET", f"/api/erp/customers?tax_id={TAX_ID}")
        assert (status, body["error"]["code"]) == (503, "erp_unavailable")
    finally:
        for runner in runners:
            await runner.cleanup()
        for client in clients:
            await client.close()
        await engine.dispose()

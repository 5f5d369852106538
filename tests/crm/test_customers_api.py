"""The customer view over HTTP: supervisors read a view and look customers up; other roles
are refused; the endpoints are in the OpenAPI document."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from atende.auth import Role, UserStore
from atende.web.app import build_app
from crm_sync.adapters.redis_cache import RedisViewCache
from erp_bridge.embedded.adapter import EmbeddedErp
from tests.crm.conftest import BAKERY_CNPJ, WatchedErp, views_on

PASSWORD = "crm-api-pass-1"


class Api:
    """The running app and a bearer token per role."""

    def __init__(self, url: str, tokens: dict[Role, str], erp: WatchedErp) -> None:
        self.url, self.tokens, self.erp = url, tokens, erp

    async def get(self, path: str, role: Role | None = Role.SUPERVISOR) -> tuple[int, Any]:
        headers = {} if role is None else {"Authorization": f"Bearer {self.tokens[role]}"}
        async with (
            aiohttp.ClientSession() as http,
            http.get(self.url + path, headers=headers) as resp,
        ):
            return resp.status, await resp.json()


@pytest.fixture
async def api(sqlite_erp: EmbeddedErp, redis_cache: RedisViewCache) -> AsyncIterator[Api]:
    """The web app with the customer endpoints on a real port, the cache on real Redis."""
    erp = WatchedErp(sqlite_erp)
    users = UserStore(sqlite_erp._engine)
    runner = web.AppRunner(build_app(users, list, customers=views_on(erp, redis_cache)))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    tokens = {}
    async with aiohttp.ClientSession() as http:
        for role in (Role.SUPERVISOR, Role.AGENT):
            await users.create_user(f"{role.value}1", PASSWORD, role)
            async with http.post(
                url + "/api/login", json={"username": f"{role.value}1", "password": PASSWORD}
            ) as resp:
                tokens[role] = (await resp.json())["token"]
    try:
        yield Api(url, tokens, erp)
    finally:
        await runner.cleanup()


async def test_a_supervisor_reads_a_view_and_the_candidates_of_a_number(api: Api) -> None:
    """The bakery's view has its position in strings with cents; its number lists both stores;
    its CNPJ lists the head office; the second read of the view is served by the cache."""
    status, view = await api.get("/api/customers/000001-01/view")
    assert status == 200
    assert (view["registration"]["name"], view["credit"]["overdue_amount"]) == (
        "Padaria Boa Vista Ltda",
        "250.50",
    )
    assert view["stale"] is False
    reads = api.erp.reads
    assert (await api.get("/api/customers/000001-01/view"))[1] == view
    assert api.erp.reads == reads
    status, found = await api.get("/api/customers?phone=11987654321")
    assert status == 200
    assert [(c["code"], c["store"]) for c in found["candidates"]] == [
        ("000001", "01"),
        ("000001", "02"),
    ]
    status, found = await api.get(f"/api/customers?tax_id={BAKERY_CNPJ}")
    assert [c["store"] for c in found["candidates"]] == ["01"]


async def test_bad_input_and_unknown_customers_get_clear_errors(api: Api) -> None:
    """No search key, a bad check digit, a bad customer id and an unknown customer each get
    the API's error body with a stable code."""
    cases = {
        "/api/customers": (422, "invalid_request"),
        "/api/customers?tax_id=11222333000182": (422, "tax_id_invalid"),
        "/api/customers?phone=abc": (422, "phone_invalid"),
        "/api/customers/00%2F01/view": (422, "invalid_request"),
        "/api/customers/999999-01/view": (404, "customer_unknown"),
    }
    for path, (want_status, code) in cases.items():
        status, body = await api.get(path)
        assert (path, status, body["error"]["code"]) == (path, want_status, code)


async def test_the_erp_down_with_nothing_cached_is_503(api: Api) -> None:
    """An uncached customer while the ERP does not answer is 503 ``erp_unavailable``; a cached
    one is still served."""
    await api.get("/api/customers/000001-01/view")
    api.erp.down = True
    status, body = await api.get("/api/customers/000002-01/view")
    assert (status, body["error"]["code"]) == (503, "erp_unavailable")
    status, body = await api.get("/api/customers/000001-01/view")
    assert (status, body["registration"]["code"]) == (200, "000001")


async def test_only_supervisors_for_now_and_the_endpoints_are_documented(api: Api) -> None:
    """An agent is refused (403) until the desktop scopes agents to their calls; without a
    token it is 401; both endpoints are in /api/openapi.json with the view's schema."""
    assert (await api.get("/api/customers/000001-01/view", Role.AGENT))[0] == 403
    assert (await api.get("/api/customers?phone=11987654321", None))[0] == 401
    status, doc = await api.get("/api/openapi.json")
    assert status == 200
    view_op = doc["paths"]["/api/customers/{customer}/view"]["get"]
    assert view_op["x-roles"] == ["admin", "supervisor"]
    assert "CustomerView" in doc["components"]["schemas"]
    assert "get" in doc["paths"]["/api/customers"]

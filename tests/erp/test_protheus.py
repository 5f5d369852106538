"""The Protheus REST adapter against a local fake Protheus over real TCP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web

from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.orders import OrderLine, OrderRequest
from erp_bridge.domain.taxid import cnpj_check_digits
from erp_bridge.protheus.adapter import ProtheusErp
from erp_bridge.protheus.client import ProtheusClient, ProtheusConfig, ProtheusUnavailable

from .fake_protheus import FakeProtheus


def customer(n: int) -> dict[str, Any]:
    base = f"{n:08d}0001"
    return {
        "type": 1,
        "code": f"{n:06d}",
        "storeId": "01",
        "name": f"Cliente {n} Ltda",
        "shortName": f"CLI{n}",
        "entityType": "J",
        "registerSituation": "2" if n == 7 else "1",
        "governmentalInformation": [{"name": "CNPJ", "id": base + cnpj_check_digits(base)}],
        "listOfCommunicationInformation": [
            {
                "internationalDiallingCode": "55",
                "diallingCode": "11",
                "phoneNumber": f"9{n:04d}1234",
            }
        ],
        "creditInformation": {"creditLimit": 5000, "creditLimitDate": "2027-01-31"},
    }


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeProtheus, str]]:
    """The fake on 127.0.0.1, ephemeral port; yields it and its base URL."""
    state = FakeProtheus([customer(n) for n in range(1, 24)])
    runner = web.AppRunner(state.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield state, f"http://127.0.0.1:{port}/rest"
    await runner.cleanup()


def adapter(url: str, auth: str = "basic", password: str = "s3cret") -> ProtheusErp:
    cfg = ProtheusConfig(url, "01,0101", "admin", password, auth=auth, page_size=5, timeout=5)
    return ProtheusErp(ProtheusClient(cfg))


async def test_find_by_tax_id_pages_through_with_basic_auth(fake: tuple[FakeProtheus, str]) -> None:
    """With no search filter server-side, the adapter follows hasNext to the last page."""
    state, url = fake
    erp = adapter(url)
    base = "000000230001"
    try:
        found = await erp.find_customers(tax_id=base + cnpj_check_digits(base))
        assert [(c.code, c.name) for c in found] == [("000023", "Cliente 23 Ltda")]
        by_phone = await erp.find_customers(phone="(11) 90007-1234")
        assert [(c.code, c.blocked) for c in by_phone] == [("000007", True)]
    finally:
        await erp._client.close()
    assert state.tenants == {"01,0101"}


async def test_paging_follows_has_next(fake: tuple[FakeProtheus, str]) -> None:
    """23 items in pages of 5: five requests, every item read once."""
    state, url = fake
    client = ProtheusClient(ProtheusConfig(url, "01,0101", "admin", "s3cret", page_size=5))
    try:
        codes = [i["code"] async for i in client.items("/api/crm/v1/customerVendor", {"type": 1})]
    finally:
        await client.close()
    assert codes == [f"{n:06d}" for n in range(1, 24)]
    assert state.seen["/rest/api/crm/v1/customerVendor"] == 5


async def test_oauth2_refreshes_and_signs_in_again(fake: tuple[FakeProtheus, str]) -> None:
    """An expired access token is refreshed with the refresh token; when that is gone too,
    the adapter signs in with the password again; calls succeed throughout."""
    state, url = fake
    erp = adapter(url, auth="oauth2")
    try:
        await erp.find_customers(tax_id=customer(3)["governmentalInformation"][0]["id"])
        state.expire_tokens()
        await erp.find_customers(tax_id=customer(3)["governmentalInformation"][0]["id"])
        state.expire_tokens(refresh_too=True)
        found = await erp.find_customers(tax_id=customer(3)["governmentalInformation"][0]["id"])
    finally:
        await erp._client.close()
    assert [c.code for c in found] == ["000003"]
    assert (state.grants["password"], state.grants["refresh_token"]) == (2, 2)


async def test_wrong_password_is_a_clear_error(fake: tuple[FakeProtheus, str]) -> None:
    """Refused credentials raise erp_auth_failed."""
    _, url = fake
    erp = adapter(url, auth="oauth2", password="wrong")
    try:
        with pytest.raises(ErpError) as err:
            await erp.find_customers(tax_id="11.222.333/0001-81")
    finally:
        await erp._client.close()
    assert err.value.code == "erp_auth_failed"


async def test_position_from_credit_limit(fake: tuple[FakeProtheus, str]) -> None:
    """Limit balance and balances come from CustomerCreditLimit."""
    state, url = fake
    state.credit["00000101"] = {
        "CreditLimit": Decimal("1200.50"),
        "TotalCreditLimit": 5000,
        "LimitDate": "2027-01-31",
        "CreditLimitUsedByBilling": Decimal("3000.00"),
        "CreditLimitUsedBySalesOrders": Decimal("799.50"),
    }
    erp = adapter(url)
    try:
        pos = await erp.customer_position("000001", "01")
    finally:
        await erp._client.close()
    assert (pos.limit_balance, pos.credit_limit, pos.open_receivables, pos.released_orders) == (
        Decimal("1200.50"), Decimal(5000), Decimal("3000.00"), Decimal("799.50"),
    )  # fmt: skip
    assert str(pos.credit_limit_expiry) == "2027-01-31"
    assert pos.phones == ("+5511900011234",)


async def test_orders_idempotent_refused_and_unavailable(fake: tuple[FakeProtheus, str]) -> None:
    """Same key, same order; unknown product gives product_unknown with Protheus's message;
    a 5xx is ProtheusUnavailable (the outbox retries it)."""
    state, url = fake
    erp = adapter(url)
    req = OrderRequest(
        "000001", "01", (OrderLine("CAF001", Decimal(2), unit_price=Decimal("18.90")),)
    )
    try:
        first = await erp.create_sales_order(req, idempotency_key="k1")
        again = await erp.create_sales_order(req, idempotency_key="k1")
        with pytest.raises(ErpError) as err:
            await erp.create_sales_order(
                OrderRequest("000001", "01", (OrderLine("XX", Decimal(1)),))
            )
        state.fail_next = 1
        with pytest.raises(ProtheusUnavailable):
            await erp.create_sales_order(req, idempotency_key="k2")
    finally:
        await erp._client.close()
    assert first == again
    assert [(ln.credit_block, ln.value) for ln in first.lines] == [("", Decimal("37.80"))]
    assert len(state.orders) == 1
    assert err.value.code == "product_unknown"
    assert "XX nao cadastrado" in err.value.message

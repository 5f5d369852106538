"""The agent's disposition of a call and its ERP outcome are stored together or not at all."""

from __future__ import annotations

import sqlalchemy as sa

from atende.auth import Role
from atende.dispositions import call_dispositions
from erp_bridge.outbox.table import outbox
from tests.erp_api.conftest import ErpServer
from tests.erp_api.test_outcomes_api import ORDER, wait_status


async def _count(s: ErpServer, table: sa.Table) -> int:
    async with s.engine.connect() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


async def test_sale_disposition_writes_outcome_that_reaches_the_erp(erp_server: ErpServer) -> None:
    """A 'sale' disposition with an order outcome is stored, and the order reaches the ERP."""
    s = erp_server
    call = "1764255600.7"
    async with s.worker():
        status, body = await s.call(
            "POST",
            f"/api/calls/{call}/disposition",
            json={
                "code": "sale",
                "notes": "two boxes",
                "outcome": {"kind": "sales_order", "payload": ORDER},
            },
        )
        assert status == 201, body
        assert body["outcome_id"]
        delivered = await wait_status(s, body["outcome_id"], "delivered")
        assert delivered["call_id"] == call and delivered["result"]["status"] == "released"
    status, listed = await s.call("GET", f"/api/calls/{call}/disposition", role=Role.SUPERVISOR)
    assert status == 200
    [only] = listed["dispositions"]
    assert (only["code"], only["agent"], only["notes"]) == ("sale", "agent1", "two boxes")
    assert only["outcome_id"] == body["outcome_id"]


async def test_bad_outcome_stores_nothing(erp_server: ErpServer) -> None:
    """An outcome with no lines is refused with 422 and neither disposition nor outcome is kept."""
    s = erp_server
    bad = {**ORDER, "lines": []}
    status, body = await s.call(
        "POST",
        "/api/calls/1.1/disposition",
        json={"code": "sale", "outcome": {"kind": "sales_order", "payload": bad}},
    )
    assert status in (409, 422), body
    assert body["error"]["code"]
    assert await _count(s, call_dispositions) == 0
    assert await _count(s, outbox) == 0


async def test_disposition_without_outcome_and_roles(erp_server: ErpServer) -> None:
    """A 'no_interest' disposition needs no outcome; a bad code is 422; no token is 401."""
    s = erp_server
    status, body = await s.call("POST", "/api/calls/2.2/disposition", json={"code": "no_interest"})
    assert (status, body["outcome_id"]) == (201, None)
    status, body = await s.call("POST", "/api/calls/2.2/disposition", json={"code": "Bad Code!"})
    assert (status, body["error"]["code"]) == (422, "invalid_request")
    status, body = await s.call("POST", "/api/calls/2.2/disposition", role=None, json={"code": "x"})
    assert status == 401
    status, body = await s.call(
        "POST", "/api/calls/2.2/disposition", role=Role.CAMPAIGN_MANAGER, json={"code": "x"}
    )
    assert status == 403

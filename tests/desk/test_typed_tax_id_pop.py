"""The screen-pop of a caller who typed his CPF/CNPJ in the IVR: the customer it names pops,
before the number's customers; a tax id that names nobody falls back to the number."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.crm.conftest import BAKERY_BRANCH_CNPJ, TAX_ID_PROMPT, typing_on_prompt
from tests.desk.conftest import (
    BAKERY,
    SALES_DID,
    SUPPORT_DID,
    Desk,
    running_desk,
)

NOBODYS_CPF = "52998224725"  # valid check digits, no customer of the ERP world has it


@pytest.fixture
async def asking_desk(tmp_path: Path, redis_prefix: str) -> AsyncIterator[Desk]:
    """The desk's stack whose IVR asks every caller for a CPF/CNPJ."""
    async with running_desk(tmp_path, redis_prefix, ivr_tax_id_prompt=TAX_ID_PROMPT) as desk:
        yield desk


async def test_the_customer_of_a_typed_tax_id_pops_else_the_numbers(asking_desk: Desk) -> None:
    """The bakery's branch calls sales from the shared number and types its CNPJ: Ana's
    socket gets the offer, before her phone is answered, with the branch's view and the
    branch as the only customer (not both stores of the number); ``/api/agent/me`` shows the
    same. Another call from the shared number to support types a CPF that names nobody: Bia's
    offer falls back to the number's two stores, without a view (she picks)."""
    desk = asking_desk
    ana, bia = await desk.sign_in("ana"), await desk.sign_in("bia")
    ana_ws, bia_ws = await desk.socket(ana), await desk.socket(bia)
    for person in (ana, bia):
        status, me = await person.call("POST", "/api/agent/login")
        assert (status, me["state"]) == (200, "available")
    desk.twin.set_agent_phone("Local/2001@agents", answer=True, delay=60, talk_time=40)
    desk.twin.set_agent_phone("Local/2002@agents", answer=True, delay=60, talk_time=40)
    typing_on_prompt(desk.twin, {BAKERY: BAKERY_BRANCH_CNPJ + "#"})
    branch = await desk.twin.place_inbound_call(SALES_DID, BAKERY, "Filial")
    assert branch is not None

    offer = await ana_ws.until(lambda m: m["type"] == "offer")
    assert offer["call"]["call_id"] == branch.linkedid
    acd = desk.engine.acd
    assert acd is not None
    assert acd.calls[branch.linkedid].answered_at is None  # popped before the answer
    assert offer["view"]["registration"]["name"] == "Padaria Boa Vista Filial"
    assert [c["customer_id"] for c in offer["candidates"]] == ["000001-02"]
    me = await ana.me_until(lambda me: me["call"] is not None)
    assert me["call"]["customers"] == [
        {"customer_id": "000001-02", "store": "02", "name": "Padaria Boa Vista Filial"}
    ]
    status, out = await ana.call("GET", "/api/agent/customers/000001-01/view")
    assert (status, out["error"]["code"]) == (403, "not_your_customer")  # the other store

    typing_on_prompt(desk.twin, {BAKERY: NOBODYS_CPF + "#"})
    other = await desk.twin.place_inbound_call(SUPPORT_DID, BAKERY, "Padaria")
    assert other is not None
    fallback = await bia_ws.until(lambda m: m["type"] == "offer")
    assert fallback["call"]["call_id"] == other.linkedid
    assert fallback["view"] is None
    assert [c["customer_id"] for c in fallback["candidates"]] == ["000001-01", "000001-02"]

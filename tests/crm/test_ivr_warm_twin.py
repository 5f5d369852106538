"""The engine warms the customer view when its IVR routes a caller: a call placed on the
Asterisk twin, through real AMI and FastAGI, ends with the call's view cached."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from atende.wiring import Engine
from crm_sync.domain.view import CallView
from erp_bridge.embedded.seed import add_records
from telephony.twin import AmiUser, Twin, TwinConfig
from tests.conftest import migrated_sqlite
from tests.crm.conftest import (
    BAKERY_BRANCH_CNPJ,
    PERSON_CPF,
    TAX_ID_PROMPT,
    WatchedErp,
    typing_on_prompt,
    world,
)
from tests.integration.conftest import Stack, engine_settings


@pytest.fixture
async def engine_and_twin(tmp_path: Path) -> AsyncIterator[Stack]:
    """Twin + engine on a SQLite file with the small ERP world loaded (in-process cache)."""
    async with running(tmp_path) as stack:
        yield stack


@pytest.fixture
async def asking_tax_id(tmp_path: Path) -> AsyncIterator[Stack]:
    """:func:`engine_and_twin` whose IVR asks callers for a CPF/CNPJ after the menu."""
    async with running(tmp_path, ivr_tax_id_prompt=TAX_ID_PROMPT) as stack:
        yield stack


@asynccontextmanager
async def running(tmp_path: Path, **extra: Any) -> AsyncIterator[Stack]:
    """Twin + engine (``extra``: more engine settings)."""
    twin = Twin(TwinConfig(ami_port=0, users={"atende": AmiUser("atende")}, time_scale=0.1))
    port = await twin.start()
    settings = engine_settings(port, migrated_sqlite(tmp_path / "engine.db"))
    settings = settings.model_copy(update=extra)
    engine = Engine(settings)
    await engine.start()
    await add_records(engine.db, world())
    twin.pbx.agi_address = ("127.0.0.1", engine.agi.port)
    await engine.link.wait_synced(timeout=10)
    try:
        yield Stack(twin, engine, settings)
    finally:
        await engine.stop()
        await twin.stop()


async def _identified(engine: Engine, call_id: str, by: str = "") -> CallView:
    """The call's view once the IVR has identified the caller (``by``: that way), or what it
    is after a generous deadline."""
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        view = await engine.crm.warm_up.view_for_call(call_id)
        done = view.identified_by == by if by else bool(view.identified_by)
        if done or asyncio.get_running_loop().time() > deadline:
            return view
        await asyncio.sleep(0.05)


async def test_a_caller_routed_by_the_ivr_has_his_customers_warmed(
    engine_and_twin: Stack,
) -> None:
    """The bakery calls the sales number from its shared number (as Asterisk shows it, no
    +): once the IVR routes him, the call's view lists both stores, read by the warm-up; the
    ERP is then not asked again for the screen-pop. An unknown caller is not identified."""
    engine = engine_and_twin.engine
    erp = WatchedErp(engine.erp.embedded)  # type: ignore[arg-type]
    engine.crm.views.erp = erp  # count the ERP reads from now on
    ivr = await engine_and_twin.twin.place_inbound_call("1133330001", "5511987654321", "Padaria")
    assert ivr is not None
    call = await _identified(engine, ivr.uniqueid)
    assert (call.identified_by, call.key) == ("phone", "+5511987654321")
    assert [v.registration.store for v in call.views] == ["01", "02"]
    await engine.crm.warm_up.drained()
    reads = erp.reads
    again = await engine.crm.warm_up.view_for_call(ivr.uniqueid)
    assert [v.registration.name for v in again.views] == [v.registration.name for v in call.views]
    assert erp.reads == reads
    stranger = await engine_and_twin.twin.place_inbound_call("1133330001", "5511955550001", "X")
    assert stranger is not None
    unknown = await _identified(engine, stranger.uniqueid)
    assert (unknown.identified_by, unknown.key, unknown.views) == ("phone", "+5511955550001", [])


async def test_a_typed_cpf_or_cnpj_names_the_customer_of_the_call(asking_tax_id: Stack) -> None:
    """The IVR asks for a CPF/CNPJ after the menu (keys typed over FastAGI through the twin):
    the bakery's branch calls from the shared number and types its CNPJ, ended by ``#``: the
    call's view is that store only, identified by the tax id. A caller typing a CPF with a
    wrong check digit, and one typing nothing (the prompt's timeout), are identified by their
    number (both stores)."""
    engine, twin = asking_tax_id.engine, asking_tax_id.twin
    wrong = PERSON_CPF[:-1] + str((int(PERSON_CPF[-1]) + 1) % 10)
    typing_on_prompt(twin, {"5511987654321": BAKERY_BRANCH_CNPJ + "#"})
    branch = await twin.place_inbound_call("1133330001", "5511987654321", "Filial")
    assert branch is not None
    call = await _identified(engine, branch.uniqueid, by="tax_id")
    assert (call.identified_by, call.key) == ("tax_id", BAKERY_BRANCH_CNPJ)
    assert [v.registration.name for v in call.views] == ["Padaria Boa Vista Filial"]
    for keys in (wrong + "#", ""):
        typing_on_prompt(twin, {"5511987654321": keys})
        other = await twin.place_inbound_call("1133330001", "5511987654321", "Padaria")
        assert other is not None
        seen = await _identified(engine, other.uniqueid)
        await engine.crm.warm_up.drained()
        seen = await engine.crm.warm_up.view_for_call(other.uniqueid)
        assert (seen.identified_by, seen.key) == ("phone", "+5511987654321"), keys
        assert [v.registration.store for v in seen.views] == ["01", "02"]


async def test_a_caller_hanging_up_while_typing_his_tax_id_is_not_queued(
    asking_tax_id: Stack,
) -> None:
    """A caller who types three digits of his CPF and hangs up while the IVR waits for the
    rest is queued nowhere once his channels are gone, and the engine goes on: the next
    caller is identified by his typed CNPJ."""
    engine, twin = asking_tax_id.engine, asking_tax_id.twin

    def hang_up_typing(message: list[tuple[str, str]]) -> None:
        fields = dict(message)
        command = fields.get("Command", "")
        if fields.get("Event") != "AGIExecStart" or not command.startswith(
            f"GET DATA {TAX_ID_PROMPT} "
        ):
            return
        if fields.get("CallerIDNum") != "5511900000001":
            return
        channel = twin.pbx.find(fields.get("Channel", ""))
        if channel is not None:
            for key in "123":
                channel.dtmf.put_nowait(key)
            twin.hangup(channel.name)

    twin.pbx.listeners.append(hang_up_typing)
    gone = await twin.place_inbound_call("1133330001", "5511900000001", "Desistiu")
    assert gone is not None
    deadline = asyncio.get_running_loop().time() + 30
    while any(c.linkedid == gone.linkedid for c in twin.channels()):
        assert asyncio.get_running_loop().time() < deadline, "the hang-up did not end the call"
        await asyncio.sleep(0.05)
    await engine.link.drain()
    assert engine.acd is not None and gone.linkedid not in engine.acd.calls
    typing_on_prompt(twin, {"5511987654321": BAKERY_BRANCH_CNPJ + "#"})
    branch = await twin.place_inbound_call("1133330001", "5511987654321", "Filial")
    assert branch is not None
    call = await _identified(engine, branch.uniqueid, by="tax_id")
    assert (call.identified_by, call.key) == ("tax_id", BAKERY_BRANCH_CNPJ)
    assert not [r for r in await engine.acd_config.queue_log() if r.call_id == gone.linkedid]

"""Callers the ACD cannot match at once never hold up the others; every routed caller counts."""

from __future__ import annotations

import asyncio
from pathlib import Path

from acd.domain import QueueConfig
from tests.conftest import migrated_sqlite
from tests.integration.acd_stack import running_acd
from tests.integration.conftest import eventually
from tests.integration.fake_agi import VENDAS, fake_environment


async def _fake_agi_session(port: int, n: int) -> asyncio.StreamWriter:
    """A well-formed FastAGI session for a channel Asterisk never had (``9999.<n>``) on the
    vendas DID; every command is answered ``200 result=1`` (a GET VARIABLE with the caller's
    number). The socket is left open."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(fake_environment(n))
    await writer.drain()
    callerid = f"55119000{n:05d}"

    async def answer() -> None:
        while line := await reader.readline():
            value = f" ({callerid})" if line.startswith(b"GET VARIABLE") else ""
            writer.write(f"200 result=1{value}\n".encode())
            await writer.drain()

    asyncio.get_running_loop().create_task(answer())
    return writer


async def test_real_callers_are_queued_while_fake_agi_sessions_are_open(tmp_path: Path) -> None:
    """20 FastAGI sessions for channels Asterisk does not have arrive first (the FastAGI guard
    holds each while it waits for its channel, then refuses it); then three real callers
    arrive: they are queued while the fake sessions are still open, and the fake callers are
    never queued."""
    url = migrated_sqlite(tmp_path / "acd.db")
    queues = [QueueConfig(name="vendas", skills={"sales": 1})]
    async with running_acd(url, queues, {}) as (twin, engine):
        assert engine.acd is not None
        acd = engine.acd
        fakes = [await _fake_agi_session(engine.agi.port, n) for n in range(20)]
        try:
            await asyncio.sleep(0.5)  # their routing reaches the ACD first
            real = []
            for n in range(3):
                info = await twin.place_inbound_call(VENDAS, f"551199999100{n}", "Real")
                assert info is not None
                real.append(info.linkedid)

            def real_callers_queued() -> bool:
                return all(call in acd.calls for call in real)

            await eventually(real_callers_queued, timeout=25)
            assert all(not w.is_closing() for w in fakes)  # still open
            assert set(acd.calls) == set(real)
        finally:
            for writer in fakes:
                writer.close()


async def test_callers_who_hang_up_before_the_acd_sees_them_still_count(tmp_path: Path) -> None:
    """A caller routed to vendas whose call has already ended when the ACD takes him (the ACD
    lagging behind) counts as offered and abandoned: ENTERQUEUE then ABANDON."""
    url = migrated_sqlite(tmp_path / "acd.db")
    queues = [QueueConfig(name="vendas", skills={"sales": 1})]
    async with running_acd(url, queues, {}) as (twin, engine):
        assert engine.acd is not None
        acd = engine.acd
        async with acd._lock:  # the ACD is busy: the caller hangs up before it gets to him
            info = await twin.place_inbound_call(VENDAS, "5511999991100", "Gone")
            assert info is not None
            await eventually(lambda: any(ch.context == "inbound-hold" for ch in twin.channels()))
            assert twin.hangup(info.name)
            await eventually(lambda: not twin.channels())
            await engine.link.drain()

        def counted() -> bool:
            q = next(q for q in acd.live_view()["queues"] if q["queue"] == "vendas")
            return (q["offered"], q["abandoned"]) == (1, 1)

        await eventually(counted, timeout=10)
        records = [r.event for r in acd.log_book.history if r.call_id == info.linkedid]
        assert records == ["ENTERQUEUE", "ABANDON"]

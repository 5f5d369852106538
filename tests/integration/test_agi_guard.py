"""FastAGI sessions are taken only from the configured Asterisk, for channels it has."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from structlog.testing import capture_logs

from acd.domain import QueueConfig
from telephony.agi import AgiServer, AgiSession
from telephony.agi.environment import parse_environment
from telephony.ami import AmiServer
from telephony.known_channels import KnownChannelCheck
from telephony.link import AsteriskLink
from telephony.twin import AmiUser, Twin, TwinConfig
from telephony.twin.pbx import OriginateRequest
from tests.conftest import migrated_sqlite
from tests.integration.acd_stack import running_acd
from tests.integration.conftest import eventually
from tests.integration.fake_agi import VENDAS, fake_environment


async def _fake_session(port: int, n: int, local: str = "127.0.0.1") -> bytes:
    """Open a session from ``local``, send a fake environment, return all the server wrote
    before closing (a refused session: nothing)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(local, 0))
    try:
        writer.write(fake_environment(n))
        await writer.drain()
        return await reader.read()
    except ConnectionResetError:  # closed with our environment unread
        return b""
    finally:
        writer.close()


def _refusals(logs: list[dict[str, Any]], reason: str) -> list[dict[str, Any]]:
    return [e for e in logs if e["event"] == "agi_session_refused" and e["reason"] == reason]


async def test_session_from_an_address_not_allowed_is_refused(tmp_path: Path) -> None:
    """With the default setting (the AMI server's host, 127.0.0.1, and loopback ::1), a
    session from 127.0.0.2 is closed before any command and logged with its reason; a real
    caller's session from 127.0.0.1 still runs the IVR and the caller is queued."""
    url = migrated_sqlite(tmp_path / "acd.db")
    queues = [QueueConfig(name="vendas", skills={"sales": 1})]
    with capture_logs() as logs:
        async with running_acd(url, queues, {}) as (twin, engine):
            assert engine.acd is not None
            acd = engine.acd
            written = await _fake_session(engine.agi.port, 1, local="127.0.0.2")
            assert written == b""
            (refusal,) = _refusals(logs, "address_not_allowed")
            assert refusal["peer"].startswith("127.0.0.2:")
            info = await twin.place_inbound_call(VENDAS, "5511999991200", "Real")
            assert info is not None
            await eventually(lambda: info.linkedid in acd.calls, timeout=25)
    assert not _refusals(logs, "channel_unknown")


async def test_fake_sessions_are_refused_while_real_callers_are_queued(tmp_path: Path) -> None:
    """20 well-formed sessions for channels Asterisk does not have arrive with 3 real
    callers: every fake is closed without a command and logged ``channel_unknown``; the real
    callers are queued in vendas, which counts exactly them."""
    url = migrated_sqlite(tmp_path / "acd.db")
    queues = [QueueConfig(name="vendas", skills={"sales": 1})]
    with capture_logs() as logs:
        async with running_acd(url, queues, {}, agi_channel_wait=2.0) as (twin, engine):
            assert engine.acd is not None
            acd = engine.acd
            fakes = [asyncio.create_task(_fake_session(engine.agi.port, n)) for n in range(20)]
            real = []
            for n in range(3):
                info = await twin.place_inbound_call(VENDAS, f"551199999130{n}", "Real")
                assert info is not None
                real.append(info.linkedid)
            assert await asyncio.gather(*fakes) == [b""] * 20
            await eventually(lambda: all(call in acd.calls for call in real), timeout=25)
            assert set(acd.calls) == set(real)
            vendas = next(q for q in acd.live_view()["queues"] if q["queue"] == "vendas")
            assert vendas["offered"] == 3
    refused = _refusals(logs, "channel_unknown")
    assert sorted(e["uniqueid"] for e in refused) == sorted(f"9999.{n}" for n in range(20))
    assert all("secret" not in str(e) for e in refused)


async def test_a_channel_the_tracker_sees_late_is_accepted() -> None:
    """The twin's channel connects to FastAGI while the link has not yet applied its
    Newchannel (the link's consumer held): the session waits, is accepted once the tracker
    shows the channel, and its route runs."""
    twin = Twin(TwinConfig(ami_port=0, users={"atende": AmiUser("atende")}, time_scale=0.05))
    port = await twin.start()
    link = AsteriskLink([AmiServer(port=port, secret="atende")], reconnect_max_delay=0.5)
    held = asyncio.Event()
    release = asyncio.Event()

    async def hold_consumer(records: object) -> None:
        if not held.is_set():
            held.set()
            await release.wait()

    check = KnownChannelCheck(link, wait=30.0, hosts={"pbx1": "127.0.0.1"})
    routed: list[str] = []

    async def route(session: AgiSession) -> None:
        routed.append(session.env.uniqueid)

    server = AgiServer({"inbound": route}, port=0, accept=check)
    await server.start()
    twin.pbx.agi_address = ("127.0.0.1", server.port)
    try:
        await link.start()
        await link.wait_synced(timeout=20)
        link.subscribe(hold_consumer)
        # an agent's call first: its records hold the link's consumer
        await twin.pbx.originate(
            OriginateRequest(channel="Local/2001@agents", application="Wait", data="600")
        )
        await eventually(held.is_set, timeout=20)
        info = await twin.place_inbound_call(VENDAS, "5511999991400", "Late")
        assert info is not None
        await eventually(lambda: server.active_sessions == 1, timeout=20)
        assert routed == []  # waiting for the tracker, not refused
        release.set()
        await eventually(lambda: routed == [info.uniqueid], timeout=20)
    finally:
        release.set()
        await server.stop()
        check.close()
        await link.stop()
        await twin.stop()


async def test_session_is_accepted_and_logged_while_the_ami_link_is_down() -> None:
    """With no AMI link to the Asterisk (never connected), the check cannot tell: the session
    is accepted at once and ``agi_channel_unchecked`` is logged."""
    link = AsteriskLink([AmiServer(port=9, secret="atende")])
    check = KnownChannelCheck(link, wait=30.0)
    env = parse_environment([line for line in fake_environment(7).decode().splitlines() if line])
    try:
        with capture_logs() as logs:
            assert await check(env, "127.0.0.1") is True
    finally:
        check.close()
    (unchecked,) = [e for e in logs if e["event"] == "agi_channel_unchecked"]
    assert unchecked["reason"] == "ami_link_down" and unchecked["channel"] == env.channel

"""The product's dialplan (asterisk-conf/extensions.conf) on the twin, seen as the engine sees
it: over AMI with the product's own ``atende`` user and event filters, with a FastAGI IVR.

Each test is a situation the recorded traces showed going wrong with the earlier dialplan
(product_inbound_answered, product_requeue, product_missing_greeting, product_agi_down).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import pytest

from telephony.twin import AmiUser, Twin, TwinConfig
from telephony.twin.manager_conf import read_manager_conf
from telephony.twin.twin import ASTERISK_CONF
from tests.twin.client import AmiClient, FastAgiServer, command, eventually

SCALE = 0.05
Script = Callable[[dict[str, str], asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def ivr_routes_to_suporte(
    env: dict[str, str], reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """The engine's IVR in short: answer, a greeting Asterisk does not have, set ROUTE."""
    await command(reader, writer, "ANSWER")
    await command(reader, writer, 'STREAM FILE atende-no-such-file ""')
    await command(reader, writer, "SET VARIABLE ROUTE queue:suporte")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.fixture
async def stack() -> AsyncIterator[tuple[Twin, AmiClient, FastAgiServer]]:
    """A product twin, an AMI connection with the product user's classes (unfiltered) and a
    FastAGI IVR."""
    ivr = FastAgiServer(ivr_routes_to_suporte)
    agi_port = await ivr.start()
    user = read_manager_conf(ASTERISK_CONF.parent / "manager.conf")["atende"]
    twin = Twin(
        TwinConfig(
            # the product user's classes without its event filters: these tests read the
            # dialplan's own variables, which the engine's user does not receive
            users={"atende": replace(AmiUser.from_manager(user, "secret"), filters=())},
            agi_address=("127.0.0.1", agi_port),
            product_inbound=True,
            time_scale=SCALE,
        )
    )
    await twin.start()
    ami = AmiClient()
    await ami.connect(twin.port)
    assert (await ami.login("atende", "secret"))["Response"] == "Success"
    yield twin, ami, ivr
    await ami.close()
    await twin.stop()
    await ivr.stop()


async def _holding_caller(twin: Twin, ami: AmiClient, did: str) -> str:
    info = await twin.place_inbound_call(did, "5511999990101", "Maria Souza")
    assert info is not None
    await ami.wait_for(
        lambda m: m.get("Event") == "MusicOnHoldStart" and m.get("Channel") == info.name
    )
    return info.name


def _varsets(ami: AmiClient, channel: str, name: str) -> list[str]:
    return [
        m["Value"]
        for m in ami.events("VarSet")
        if m.get("Channel") == channel and m.get("Variable") == name
    ]


async def _getvars(ami: AmiClient, channel: str, names: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for name in names.split(","):
        reply = await ami.action(Action="Getvar", Channel=channel, Variable=name)
        assert reply["Response"] == "Success"
        found[name] = reply["Value"]
    return found


async def test_answered_call_ends_with_connect_result_answer(
    stack: tuple[Twin, AmiClient, FastAgiServer],
) -> None:
    """product_inbound_answered showed no ATENDE_CONNECT_RESULT after an answered call; with
    Dial's ``g`` the dialplan goes on when the agent hangs up and the engine reads ANSWER."""
    twin, ami, _ = stack
    twin.set_agent_phone("Local/2001@agents", answer=True, delay=0.5, talk_time=2)
    caller = await _holding_caller(twin, ami, "1133330001")
    await ami.action(
        Action="Setvar", Channel=caller, Variable="AGENT_INTERFACE", Value="PJSIP/2001"
    )
    await ami.action(
        Action="Redirect", Channel=caller, Context="connect", Exten="2001", Priority="1"
    )
    await ami.wait_for(lambda m: m.get("Event") == "BridgeEnter" and m.get("Channel") == caller)
    hangup = await ami.wait_for(lambda m: m.get("Event") == "Hangup" and m["Channel"] == caller)
    assert _varsets(ami, caller, "ATENDE_CONNECT_RESULT") == ["ANSWER"]
    assert hangup["Cause"] == "16"
    held = [
        m
        for m in ami.events("MusicOnHoldStart")
        if m["Channel"] == caller and m["Context"] == "inbound-hold"
    ]
    assert len(held) == 1  # the call is over: the caller is not put back on hold


async def test_requeued_caller_cannot_ring_the_previous_agent(
    stack: tuple[Twin, AmiClient, FastAgiServer],
) -> None:
    """product_requeue: after a Redirect back to hold the caller still carried
    AGENT_INTERFACE/RING_TIMEOUT/ATENDE_AGENT. Now hold clears them, and a [connect]
    without a fresh AGENT_INTERFACE rings nobody: NOINTERFACE, back on hold."""
    twin, ami, _ = stack
    twin.set_agent_phone("Local/2001@agents", answer=True, delay=0.2)
    caller = await _holding_caller(twin, ami, "1133330002")
    await ami.action(
        Action="Setvar", Channel=caller, Variable="AGENT_INTERFACE", Value="PJSIP/2001"
    )
    await ami.action(Action="Setvar", Channel=caller, Variable="RING_TIMEOUT", Value="15")
    await ami.action(
        Action="Redirect", Channel=caller, Context="connect", Exten="2001", Priority="1"
    )
    await ami.wait_for(lambda m: m.get("Event") == "BridgeEnter" and m.get("Channel") == caller)
    holds = len([m for m in ami.events("MusicOnHoldStart") if m["Channel"] == caller])
    await ami.action(Action="Redirect", Channel=caller, Context="inbound-hold", Exten="s")
    await eventually(
        lambda: len([m for m in ami.events("MusicOnHoldStart") if m["Channel"] == caller]) > holds
    )
    left = await _getvars(ami, caller, "AGENT_INTERFACE,RING_TIMEOUT,ATENDE_AGENT")
    assert left == {"AGENT_INTERFACE": "", "RING_TIMEOUT": "", "ATENDE_AGENT": ""}
    dials = len(ami.events("DialBegin"))
    await ami.action(
        Action="Redirect", Channel=caller, Context="connect", Exten="2001", Priority="1"
    )
    await eventually(lambda: "NOINTERFACE" in _varsets(ami, caller, "ATENDE_CONNECT_RESULT"))
    await eventually(
        lambda: (
            len([m for m in ami.events("MusicOnHoldStart") if m["Channel"] == caller]) > holds + 1
        )
    )
    assert len(ami.events("DialBegin")) == dials


async def test_failed_agi_run_with_a_route_keeps_the_ivr_route(
    stack: tuple[Twin, AmiClient, FastAgiServer],
) -> None:
    """product_missing_greeting: a missing sound fails the AGI run (AGISTATUS=FAILURE) after
    the IVR set ROUTE; the dialplan keeps the IVR's route and marks it as the IVR's."""
    twin, ami, _ = stack
    caller = await _holding_caller(twin, ami, "1133330002")
    assert _varsets(ami, caller, "AGISTATUS") == ["FAILURE"]
    assert _varsets(ami, caller, "ROUTE") == ["queue:suporte"]
    assert _varsets(ami, caller, "ATENDE_ROUTE_FROM") == ["ivr"]


async def test_engine_down_marks_the_default_route_and_keeps_the_did(
    stack: tuple[Twin, AmiClient, FastAgiServer],
) -> None:
    """product_agi_down: FastAGI unreachable. ROUTE gets DEFAULT_QUEUE only as a marked
    fallback; the DID the caller dialled stays on the channel for the engine to choose by."""
    twin, ami, _ = stack
    twin.pbx.agi_address = ("127.0.0.1", _closed_port())
    caller = await _holding_caller(twin, ami, "1133330003")
    assert _varsets(ami, caller, "AGISTATUS") == ["FAILURE"]
    assert _varsets(ami, caller, "ATENDE_ROUTE_FROM") == ["fallback"]
    assert _varsets(ami, caller, "ROUTE") == ["queue:vendas"]
    left = await _getvars(ami, caller, "ATENDE_DID,ROUTE,ATENDE_ROUTE_FROM")
    assert left == {
        "ATENDE_DID": "1133330003",
        "ROUTE": "queue:vendas",
        "ATENDE_ROUTE_FROM": "fallback",
    }


async def test_hold_result_is_timeout_only_when_hold_max_ran_out(
    stack: tuple[Twin, AmiClient, FastAgiServer],
) -> None:
    """A caller whose hold reaches HOLD_MAX gets ATENDE_HOLD_RESULT=TIMEOUT and is hung up;
    one who goes on past the music early (as product_hold_redirect_bridge's caller did when
    his bridge ended) is hung up without it."""
    twin, ami, _ = stack
    twin.pbx.dialplan.globals["HOLD_MAX"] = "20"  # 1 s at this time scale
    waited = await _holding_caller(twin, ami, "1133330004")
    await ami.wait_for(lambda m: m.get("Event") == "Hangup" and m["Channel"] == waited, 10)
    assert _varsets(ami, waited, "ATENDE_HOLD_RESULT") == ["TIMEOUT"]
    twin.pbx.dialplan.globals["HOLD_MAX"] = "3600"
    early = await _holding_caller(twin, ami, "1133330004")
    hold = twin.pbx.dialplan.find("inbound-hold", "s")
    assert hold is not None
    music = next(p for p, step in hold.steps.items() if step.app == "MusicOnHold")
    await ami.action(
        Action="Redirect", Channel=early, Context="inbound-hold", Exten="s", Priority=str(music + 1)
    )
    await ami.wait_for(lambda m: m.get("Event") == "Hangup" and m["Channel"] == early)
    assert _varsets(ami, early, "ATENDE_HOLD_RESULT") == []

"""The ``inbound`` route replayed against every recorded FastAGI session, over real TCP.

The lab recorded three menu set-ups (see ivr/README.md): the full menu (inbound_routed),
a menu that takes a key during the greeting (ivr_dtmf), and a straight-to-queue menu for
the other scenarios. Each replay checks every command, byte for byte, and the decision
reported to the ACD port.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ivr import CallerRouted, IvrMenu, default_menu
from ivr.agi_route import InboundIvr
from telephony.agi import AgiServer
from telephony.agi.replay import RecordedSession, load_agi_trace, replay_session

TRACES = Path(__file__).resolve().parents[1] / "fixtures" / "asterisk-traces"
AT = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
OPTIONS = default_menu().options

DTMF_MENU = IvrMenu(
    options=OPTIONS,
    default_queue="vendas",
    greeting="hello-world",
    greeting_escape_digits="0123456789",
    prompt="beep",
    timeout_ms=5000,
    start_marker=None,
    read_caller_from_channel=False,
    done_message=None,
)
DIRECT_MENU = IvrMenu(
    options=OPTIONS,
    default_queue="vendas",
    caller_queues={"5511999990002": "cobranca"},
    greeting=None,
    prompt=None,
    start_marker=None,
    read_caller_from_channel=False,
    done_message=None,
)
#: The product_* traces: the stand-in answered as ``InboundIvr(default_menu())`` did when
#: they were recorded; product_missing_greeting's DID had a menu greeting ``atende-welcome``.
PRODUCT_MENU = default_menu()
PRODUCT_TRACES = sorted(
    p.name.removesuffix(".agi.jsonl") for p in TRACES.glob("product_*.agi.jsonl")
)
MENUS = {
    "inbound_routed": default_menu(),
    "ivr_dtmf": DTMF_MENU,
    "inbound_abandoned": DIRECT_MENU,
    "agent_no_answer": DIRECT_MENU,
    "status_setvar": DIRECT_MENU,
    "inbound_burst_20": DIRECT_MENU,
    **{name: PRODUCT_MENU for name in PRODUCT_TRACES},
    "product_missing_greeting": replace(PRODUCT_MENU, greeting="atende-welcome"),
}


@pytest.fixture
async def decisions() -> AsyncIterator[asyncio.Queue[CallerRouted]]:
    """The queue the composition root would own; the ACD reads it."""
    yield asyncio.Queue()


async def _serve(menu: IvrMenu, out: asyncio.Queue[CallerRouted]) -> AgiServer:
    server = AgiServer(
        {"inbound": InboundIvr(menu, out.put_nowait, clock=lambda: AT)}, host="127.0.0.1", port=0
    )
    await server.start()
    return server


async def _replay(server: AgiServer, session: RecordedSession) -> None:
    result = await replay_session("127.0.0.1", server.port, session)
    assert result.commands == [step.command for step in session.steps]
    assert result.closed_by_server


def _routes_set(session: RecordedSession) -> list[str]:
    return [
        s.command.removeprefix("SET VARIABLE ROUTE queue:")
        for s in session.steps
        if s.command.startswith("SET VARIABLE ROUTE ")
    ]


def test_every_agi_trace_has_a_menu() -> None:
    """No recorded FastAGI session is left out of the replay."""
    assert {p.name.removesuffix(".agi.jsonl") for p in TRACES.glob("*.agi.jsonl")} == set(MENUS)


@pytest.mark.parametrize("scenario", sorted(MENUS))
async def test_replay_recorded_session(
    scenario: str, decisions: asyncio.Queue[CallerRouted]
) -> None:
    """The route sends exactly the recorded commands and reports the recorded route."""
    sessions = load_agi_trace(TRACES / f"{scenario}.agi.jsonl")
    server = await _serve(MENUS[scenario], decisions)
    try:
        await asyncio.gather(*(_replay(server, s) for s in sessions))
    finally:
        await server.stop()
    reported = [decisions.get_nowait() for _ in range(decisions.qsize())]
    routed = [s for s in sessions if _routes_set(s)]  # a caller gone before ROUTE: no report
    assert len(reported) == len(routed)
    by_call = {r.uniqueid: r for r in reported}
    for session in routed:
        event = by_call[session.env_value("uniqueid")]
        assert [event.queue] == _routes_set(session)
        assert event.caller == session.env_value("callerid")
        assert event.caller_name == session.env_value("calleridname")
        assert event.channel == session.env_value("channel")
        assert event.at == AT


async def test_no_key_routes_to_vendas(decisions: asyncio.Queue[CallerRouted]) -> None:
    """inbound_routed: GET DATA gave no key, so the caller is reported for ``vendas``."""
    (session,) = load_agi_trace(TRACES / "inbound_routed.agi.jsonl")
    server = await _serve(default_menu(), decisions)
    try:
        await _replay(server, session)
    finally:
        await server.stop()
    event = decisions.get_nowait()
    assert (event.queue, event.digits, event.reason) == ("vendas", "", "default")
    assert event.uniqueid == "1795822159.1"
    assert event.caller == "5511999990001"


async def test_key_2_routes_to_suporte(decisions: asyncio.Queue[CallerRouted]) -> None:
    """ivr_dtmf: the caller pressed 2 during GET DATA and is reported for ``suporte``."""
    (session,) = load_agi_trace(TRACES / "ivr_dtmf.agi.jsonl")
    server = await _serve(DTMF_MENU, decisions)
    try:
        await _replay(server, session)
    finally:
        await server.stop()
    event = decisions.get_nowait()
    assert (event.queue, event.digits, event.reason) == ("suporte", "2", "key")
    assert event.uniqueid == "1795822249.25"


async def test_default_menu_with_key_2_sends_route_suporte(
    decisions: asyncio.Queue[CallerRouted],
) -> None:
    """The product's default menu, caller pressing 2: ROUTE is ``queue:suporte``."""
    (recorded,) = load_agi_trace(TRACES / "inbound_routed.agi.jsonl")
    steps = list(recorded.steps)
    steps[3] = steps[3].__class__(steps[3].command, "200 result=2")
    steps[5] = steps[5].__class__("SET VARIABLE ROUTE queue:suporte", "200 result=1")
    session = RecordedSession(recorded.environment, tuple(steps))
    server = await _serve(default_menu(), decisions)
    try:
        await _replay(server, session)
    finally:
        await server.stop()
    assert decisions.get_nowait().queue == "suporte"


async def test_key_during_greeting_skips_the_prompt(
    decisions: asyncio.Queue[CallerRouted],
) -> None:
    """A key pressed during the greeting is taken as the choice; no GET DATA is sent."""
    (recorded,) = load_agi_trace(TRACES / "ivr_dtmf.agi.jsonl")
    steps = list(recorded.steps)
    steps[1] = steps[1].__class__(steps[1].command, "200 result=51 endpos=4000")
    del steps[2]
    steps[2] = steps[2].__class__("SET VARIABLE ROUTE queue:cobranca", "200 result=1")
    session = RecordedSession(recorded.environment, tuple(steps))
    server = await _serve(DTMF_MENU, decisions)
    try:
        await _replay(server, session)
    finally:
        await server.stop()
    event = decisions.get_nowait()
    assert (event.queue, event.digits) == ("cobranca", "3")


async def test_caller_hanging_up_during_the_menu_reports_nothing(
    decisions: asyncio.Queue[CallerRouted],
) -> None:
    """A caller who leaves during the greeting is not reported to the ACD."""
    (recorded,) = load_agi_trace(TRACES / "inbound_routed.agi.jsonl")
    steps = list(recorded.steps[:3])
    steps[2] = steps[2].__class__(steps[2].command, "200 result=-1 endpos=0\nHANGUP")
    dead = "511 Command Not Permitted on a dead channel or intercept routine"
    steps.append(recorded.steps[3].__class__(recorded.steps[3].command, dead))
    session = RecordedSession(recorded.environment, tuple(steps))
    server = await _serve(default_menu(), decisions)
    try:
        await _replay(server, session)
    finally:
        await server.stop()
    assert decisions.empty()


async def test_caller_gone_before_route_is_set_is_not_reported(
    decisions: asyncio.Queue[CallerRouted],
) -> None:
    """Straight-to-queue menu: Asterisk says HANGUP after ANSWER; ROUTE's answer is dropped
    and the ACD hears nothing from the IVR (AMI reports the hangup)."""
    (recorded,) = load_agi_trace(TRACES / "agent_no_answer.agi.jsonl")
    answer, route = recorded.steps
    steps = (answer.__class__(answer.command, "200 result=0\nHANGUP"), route)
    server = await _serve(DIRECT_MENU, decisions)
    try:
        await _replay(server, RecordedSession(recorded.environment, steps))
    finally:
        await server.stop()
    assert decisions.empty()

"""The twin runs the repository's inbound dialplan (asterisk-conf/extensions.conf)."""

from __future__ import annotations

import asyncio
import socket

from telephony.twin import Twin
from telephony.twin.dialplan import Dialplan
from telephony.twin.twin import ASTERISK_CONF
from tests.integration.acd_stack import product_twin
from tests.integration.conftest import eventually


def test_reader_knows_labels_and_skips_hints() -> None:
    """Named priorities resolve, ``hint`` lines add no step."""
    plan = Dialplan.from_file(ASTERISK_CONF)
    assert plan.label("spy", "2001", "notarget") == 8
    assert plan.step("spy", "2001", 6).data == "${SPY_TARGET},${SPY_OPTIONS}x(#)"  # type: ignore[union-attr]
    assert plan.step("agents", "2001", 1) is not None
    assert plan.step("connect-result", "NOANSWER", 1).data == "inbound-hold,s,1"  # type: ignore[union-attr]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def _ivr_channel(twin: Twin, linkedid: str) -> str:
    return next(ch.name for ch in twin.channels() if ch.linkedid == linkedid and ";2" in ch.name)


async def test_hold_connect_and_back_to_hold() -> None:
    """Without the engine the caller holds with the default route; [connect] rings the PJSIP
    interface set on the caller (the twin's phone) and a missed ring brings the caller back
    to hold."""
    twin = product_twin(0.05)
    await twin.start()
    twin.pbx.agi_address = ("127.0.0.1", _closed_port())  # FastAGI unreachable
    try:
        twin.set_agent_phone("Local/2001@agents", answer=True, delay=0.2)
        twin.set_agent_phone("Local/2002@agents", answer=False)
        first = await twin.place_inbound_call("1133330001", "5511999990001", "Maria")
        second = await twin.place_inbound_call("1133330001", "5511999990002", "Joao")
        assert first is not None and second is not None

        def holding() -> bool:
            return {ch.context for ch in twin.channels() if ";2" in ch.name} == {"inbound-hold"}

        await eventually(holding)
        one = twin.pbx.find(_ivr_channel(twin, first.linkedid))
        two = twin.pbx.find(_ivr_channel(twin, second.linkedid))
        assert one is not None and two is not None
        assert one.variables["ROUTE"] == "queue:vendas"  # ExecIf: DEFAULT_QUEUE
        twin.pbx.set_var(one, "AGENT_INTERFACE", "PJSIP/2001")  # as the engine's Setvar
        # 2001 answers: a ring timeout (20 s by default, 1 s of real time at 1/20) long enough for a
        # busy machine to run his answer first
        twin.pbx.set_var(one, "RING_TIMEOUT", "600")
        twin.pbx.set_var(two, "AGENT_INTERFACE", "PJSIP/2002")
        twin.pbx.set_var(two, "RING_TIMEOUT", "5")
        twin.pbx.redirect(one, "connect", "2001", 1)
        twin.pbx.redirect(two, "connect", "2002", 1)

        def first_bridged() -> bool:
            return any(ch.bridge for ch in twin.channels() if ch.linkedid == first.linkedid)

        await eventually(first_bridged)
        await asyncio.sleep(0.5)  # 5 s of ringing at 1/20 of real time

        def second_back_on_hold() -> bool:
            return (
                two.context == "inbound-hold"
                and two.variables.get("ATENDE_CONNECT_RESULT") == "NOANSWER"
            )

        await eventually(second_back_on_hold)
        assert one.variables["ATENDE_DIAL_TO"] == "PJSIP/2001"  # the Setvar, used once
        assert one.variables["AGENT_INTERFACE"] == ""
    finally:
        await twin.stop()

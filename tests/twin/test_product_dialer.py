"""The product's dialer contexts (asterisk-conf/extensions.conf) on the twin, seen over AMI
with the product's ``atende`` user: the faults product_dialer_abandon, _machine and _silent
showed are gone (no silent message, silent people are not machines, a missed agent ring goes
back to the dialer's hold)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from telephony.twin import AmiUser, Twin, TwinConfig
from telephony.twin.manager_conf import read_manager_conf
from telephony.twin.sounds import installed_sounds
from telephony.twin.twin import ASTERISK_CONF
from tests.twin.client import AmiClient, eventually

SCALE = 0.05


async def _stack(missing: frozenset[str] = frozenset()) -> tuple[Twin, AmiClient]:
    user = read_manager_conf(ASTERISK_CONF.parent / "manager.conf")["atende"]
    sounds = {k: v for k, v in installed_sounds().items() if k not in missing}
    twin = Twin(
        TwinConfig(
            # the product user's classes without its event filters: these tests read the
            # dialplan's own variables, which the engine's user does not receive
            users={"atende": replace(AmiUser.from_manager(user, "secret"), filters=())},
            product_inbound=True,
            time_scale=SCALE,
            sounds=sounds,
        )
    )
    await twin.start()
    ami = AmiClient()
    await ami.connect(twin.port)
    assert (await ami.login("atende", "secret"))["Response"] == "Success"
    return twin, ami


@pytest.fixture
async def stack() -> AsyncIterator[tuple[Twin, AmiClient]]:
    """A product twin with the shipped recordings installed, and the engine's AMI user."""
    twin, ami = await _stack()
    yield twin, ami
    await ami.close()
    await twin.stop()


@pytest.fixture
async def bare() -> AsyncIterator[tuple[Twin, AmiClient]]:
    """The same without the product's dialer recordings (as in the lab's traces)."""
    twin, ami = await _stack(frozenset({"atende-abandon-message", "atende-machine-message"}))
    yield twin, ami
    await ami.close()
    await twin.stop()


async def _dial(ami: AmiClient, number: str, machine: str = "message") -> str:
    """Originate the customer into [dialer] as the engine does; the channel running it."""
    await ami.action(
        Action="Originate", Channel=f"Local/{number}@customers", Context="dialer", Exten="s",
        Priority="1", Async="true", Timeout="26000", CallerID="<030312345678>",
        Variable=f"CAMPAIGN_ID=7,LEAD_ID=1001,CUSTOMER_ID=,DIALER_MACHINE={machine}",
    )  # fmt: skip
    answered = await ami.wait_for(lambda m: m.get("Event") == "OriginateResponse")
    assert answered["Response"] == "Success" and answered["Reason"] == "4"
    return answered["Channel"]


def _varsets(ami: AmiClient, channel: str, name: str) -> list[str]:
    return [
        m["Value"]
        for m in ami.events("VarSet")
        if m.get("Channel") == channel and m.get("Variable") == name
    ]


def _held_in(ami: AmiClient, channel: str, context: str) -> int:
    return len(
        [
            m
            for m in ami.events("MusicOnHoldStart")
            if m["Channel"] == channel and m["Context"] == context
        ]
    )


async def test_silent_person_waits_for_an_agent(stack: tuple[Twin, AmiClient]) -> None:
    """AMD says MACHINE INITIALSILENCE-2500-2500 (product_dialer_silent) and the person holds
    in [dialer-hold] like a person, with the verdict on the channel for the engine."""
    twin, ami = stack
    twin.set_customer("5511977770004", "silent", delay=0.5)
    channel = await _dial(ami, "5511977770004")
    await eventually(lambda: _held_in(ami, channel, "dialer-hold") == 1)
    assert _varsets(ami, channel, "AMDCAUSE") == ["INITIALSILENCE-2500-2500"]
    assert _varsets(ami, channel, "ATENDE_DIALER_RESULT") == []


async def test_machine_hears_the_shipped_message_or_is_hung_up(
    stack: tuple[Twin, AmiClient],
) -> None:
    """A machine (LONGGREETING) gets the recording after the beep; a campaign whose
    treatment is ``hangup`` ends the call at once."""
    twin, ami = stack
    twin.set_customer("5511977770003", "machine", delay=0.5)
    channel = await _dial(ami, "5511977770003")
    await ami.wait_for(lambda m: m.get("Event") == "Hangup" and m["Channel"] == channel)
    assert _varsets(ami, channel, "ATENDE_DIALER_RESULT") == ["MACHINE"]
    assert _varsets(ami, channel, "ATENDE_DIALER_MESSAGE") == ["SUCCESS"]
    assert _varsets(ami, channel, "WAITSTATUS") == ["SILENCE"]
    twin.set_customer("5511977770013", "machine", delay=0.5)
    ami.messages.clear()
    channel = await _dial(ami, "5511977770013", machine="hangup")
    await ami.wait_for(lambda m: m.get("Event") == "Hangup" and m["Channel"] == channel)
    assert _varsets(ami, channel, "ATENDE_DIALER_RESULT") == ["MACHINE"]
    assert _varsets(ami, channel, "PLAYBACKSTATUS") == []


async def test_missing_recordings_are_reported_and_never_silent(
    bare: tuple[Twin, AmiClient],
) -> None:
    """product_dialer_abandon/_machine: the recordings missing, Playback failed and the
    person heard nothing. Now ATENDE_DIALER_MESSAGE=FAILED tells the engine and the core
    fallback (vm-goodbye) plays before the hang-up."""
    twin, ami = bare
    twin.set_customer("5511977770002", "human", delay=0.5)
    channel = await _dial(ami, "5511977770002")
    await eventually(lambda: _held_in(ami, channel, "dialer-hold") == 1)
    await ami.action(
        Action="Redirect", Channel=channel, Context="dialer-abandon", Exten="s", Priority="1"
    )
    await ami.wait_for(lambda m: m.get("Event") == "Hangup" and m["Channel"] == channel)
    assert _varsets(ami, channel, "ATENDE_DIALER_RESULT") == ["ABANDONED"]
    assert _varsets(ami, channel, "ATENDE_DIALER_MESSAGE") == ["FAILED"]
    assert _varsets(ami, channel, "PLAYBACKSTATUS") == ["FAILED", "SUCCESS"]
    twin.set_customer("5511977770003", "machine", delay=0.5)
    channel = await _dial(ami, "5511977770003")
    await ami.wait_for(lambda m: m.get("Event") == "Hangup" and m["Channel"] == channel, 10)
    assert _varsets(ami, channel, "ATENDE_DIALER_MESSAGE") == ["FAILED"]
    assert _varsets(ami, channel, "PLAYBACKSTATUS") == ["FAILED", "SUCCESS"]


async def test_agent_not_answering_sends_the_person_back_to_the_dialer_hold(
    stack: tuple[Twin, AmiClient],
) -> None:
    """The fault of the first dialplan: a dialer customer whose agent did not answer fell
    into [inbound-hold]. Through [dialer-connect] he is back in [dialer-hold]; an agent who
    answers is bridged with him."""
    twin, ami = stack
    twin.set_customer("5511977770001", "human", delay=0.5)
    twin.set_agent_phone("Local/2002@agents", answer=False)
    twin.set_agent_phone("Local/2001@agents", answer=True, delay=0.2)
    channel = await _dial(ami, "5511977770001")
    await eventually(lambda: _held_in(ami, channel, "dialer-hold") == 1)
    for variable, value in (("AGENT_INTERFACE", "PJSIP/2002"), ("RING_TIMEOUT", "2")):
        await ami.action(Action="Setvar", Channel=channel, Variable=variable, Value=value)
    await ami.action(
        Action="Redirect", Channel=channel, Context="dialer-connect", Exten="2002", Priority="1"
    )
    await eventually(lambda: _held_in(ami, channel, "dialer-hold") == 2)
    assert _varsets(ami, channel, "ATENDE_CONNECT_RESULT") == ["NOANSWER"]
    assert _held_in(ami, channel, "inbound-hold") == 0
    await ami.action(
        Action="Setvar", Channel=channel, Variable="AGENT_INTERFACE", Value="PJSIP/2001"
    )
    await ami.action(
        Action="Redirect", Channel=channel, Context="dialer-connect", Exten="2001", Priority="1"
    )
    await ami.wait_for(lambda m: m.get("Event") == "BridgeEnter" and m.get("Channel") == channel)


async def test_person_left_waiting_hears_the_message_when_the_engine_never_comes(
    stack: tuple[Twin, AmiClient],
) -> None:
    """No engine action within DIALER_HOLD_MAX: the safe-harbour message plays, then the
    hang-up (nobody waits on music without end)."""
    twin, ami = stack
    twin.set_customer("5511977770009", "human", delay=0.5)
    channel = await _dial(ami, "5511977770009")
    await ami.wait_for(lambda m: m.get("Event") == "Hangup" and m["Channel"] == channel, 10)
    assert _held_in(ami, channel, "dialer-hold") == 1
    assert _varsets(ami, channel, "ATENDE_DIALER_RESULT") == ["ABANDONED"]
    assert _varsets(ami, channel, "ATENDE_DIALER_MESSAGE") == ["SUCCESS"]


async def test_originate_channel_id_names_the_call_and_hangs_it_up_while_ringing(
    stack: tuple[Twin, AmiClient],
) -> None:
    """Originate's ChannelId is the new channel's uniqueid (and so the call's linkedid); a
    Hangup naming that uniqueid ends the call while it still rings (Asterisk finds channels
    by name or uniqueid): OriginateResponse Failure, nothing runs [dialer]."""
    twin, ami = stack
    twin.set_customer("5511977770005", "noanswer")
    await ami.action(
        Action="Originate", Channel="Local/5511977770005@customers", Context="dialer",
        Exten="s", Priority="1", Async="true", Timeout="26000", ChannelId="dialer-c1-5-1",
        Variable="CAMPAIGN_ID=c1,LEAD_ID=5",
    )  # fmt: skip
    created = await ami.wait_for(
        lambda m: m.get("Event") == "Newchannel" and m.get("Uniqueid") == "dialer-c1-5-1"
    )
    assert created["Linkedid"] == "dialer-c1-5-1"
    assert created["Channel"].startswith("Local/5511977770005@customers-")
    await eventually(lambda: bool(ami.events("DialState")))
    reply = await ami.action(Action="Hangup", Channel="dialer-c1-5-1")
    assert reply["Response"] == "Success"
    failed = await ami.wait_for(lambda m: m.get("Event") == "OriginateResponse")
    assert failed["Response"] == "Failure"
    assert _held_in(ami, created["Channel"], "dialer-hold") == 0
    missing = await ami.action(Action="Hangup", Channel="dialer-no-such-call")
    assert missing["Response"] == "Error"

"""The twin's programmatic API, driven over real AMI and FastAGI sockets."""

from __future__ import annotations

import asyncio

from telephony.twin import Twin
from tests.twin.client import AmiClient, FastAgiServer, eventually


def _on_hold(twin: Twin, did: str) -> str | None:
    for ch in twin.channels():
        if ch.name.startswith(f"Local/{did}@inbound") and ch.application == "MusicOnHold":
            return ch.name
    return None


async def test_inbound_call_runs_ivr_then_reaches_an_agent(
    twin: Twin, ami: AmiClient, agi_server: FastAgiServer
) -> None:
    """A caller runs the engine's FastAGI IVR, waits on hold, and is bridged to agent 2001."""
    twin.set_agent_phone("Local/2001@agents", answer=True, delay=1.0)
    await twin.place_inbound_call("1133330001", "5511999990001", "Maria Souza")
    await eventually(lambda: _on_hold(twin, "1133330001"))
    assert agi_server.sessions[0]["agi_callerid"] == "5511999990001"
    assert agi_server.sessions[0]["agi_extension"] == "1133330001"
    caller = _on_hold(twin, "1133330001")
    assert caller is not None
    response = await ami.action(
        Action="Redirect", Channel=caller, Context="connect", Exten="2001", Priority="1"
    )
    assert response["Response"] == "Success"
    await ami.wait_for(
        lambda m: (
            m.get("Event") == "DialEnd"
            and m.get("Channel") == caller
            and m.get("DialStatus") == "ANSWER"
        )
    )
    table = {ch.name: ch for ch in twin.channels()}
    agent_leg = next(
        ch
        for name, ch in table.items()
        if name.startswith("Local/2001@agents") and name.endswith(";1")
    )
    assert table[caller].bridge is not None
    assert table[caller].bridge == agent_leg.bridge
    assert agent_leg.linkedid == table[caller].linkedid
    assert twin.stats["1133330001"].offered == 1
    assert twin.stats["1133330001"].answered_by_agent == 1
    assert twin.stats["1133330001"].abandoned == 0


async def test_agent_who_does_not_answer_sends_caller_back_to_hold(
    twin: Twin, ami: AmiClient
) -> None:
    """Dial gives up after the ring timeout (NOANSWER) and the caller is on hold again."""
    twin.set_agent_phone("2002@agents", answer=False)
    await twin.place_inbound_call("1133330001", "5511999990002", "Joao Lima")
    await eventually(lambda: _on_hold(twin, "1133330001"))
    caller = _on_hold(twin, "1133330001")
    assert caller is not None
    await ami.action(
        Action="Redirect", Channel=caller, Context="connect", Exten="2002", Priority="1"
    )
    end = await ami.wait_for(lambda m: m.get("Event") == "DialEnd" and m.get("Channel") == caller)
    assert end["DialStatus"] == "NOANSWER"
    ringing = ami.events("DialState")
    assert ringing and ringing[0]["DialStatus"] == "RINGING"
    await eventually(lambda: _on_hold(twin, "1133330001") == caller)
    # the phone's own half ends in its task, maybe just after the caller is back on hold
    await eventually(
        lambda: not any(ch.name.startswith("Local/2002@agents") for ch in twin.channels())
    )


async def test_busy_agent_phone(twin: Twin, ami: AmiClient) -> None:
    """A busy phone ends the Dial at once with BUSY and the caller goes back to hold."""
    twin.set_agent_phone("2003@agents", answer="busy")
    await twin.place_inbound_call("1133330002", "5511999990003")
    await eventually(lambda: _on_hold(twin, "1133330002"))
    caller = _on_hold(twin, "1133330002")
    assert caller is not None
    await ami.action(
        Action="Redirect", Channel=caller, Context="connect", Exten="2003", Priority="1"
    )
    end = await ami.wait_for(lambda m: m.get("Event") == "DialEnd" and m.get("Channel") == caller)
    assert end["DialStatus"] == "BUSY"
    status = await ami.wait_for(
        lambda m: (
            m.get("Event") == "VarSet"
            and m.get("Variable") == "DIALSTATUS"
            and m.get("Value") == "BUSY"
        )
    )
    assert status["Channel"] == caller


async def test_impatient_caller_abandons(twin: Twin, ami: AmiClient) -> None:
    """A caller whose patience runs out hangs up while on hold: counted as abandoned."""
    await twin.place_inbound_call("1133330001", "5511999990004", patience=30)
    await ami.wait_for(lambda m: m.get("Event") == "Hangup" and m.get("Channel", "").endswith(";2"))
    await eventually(lambda: not twin.channels())
    stats = twin.stats["1133330001"]
    assert (stats.offered, stats.answered_by_agent, stats.abandoned) == (1, 0, 1)


async def test_outbound_customers_answer_as_configured(twin: Twin, ami: AmiClient) -> None:
    """Dialer calls: a human answers (Reason 4), busy (5), no answer (3), unreachable (0)."""
    twin.set_customer("5511900000001", "human", delay=0.5)
    twin.set_customer("5511900000002", "busy")
    twin.set_customer("5511900000003", "noanswer")
    twin.set_customer("5511900000004", "fail")
    for n in range(1, 5):
        ami.send(
            Action="Originate",
            Channel=f"Local/551190000000{n}@customers",
            Context="caller",
            Exten="100",
            Priority="1",
            Timeout="5000",
            Async="true",
            ActionID=f"dial-{n}",
        )
    reasons = {}
    for n in range(1, 5):
        event = await ami.wait_for(
            lambda m, n=n: (
                m.get("Event") == "OriginateResponse" and m.get("ActionID") == f"dial-{n}"
            )
        )
        reasons[n] = event["Reason"]
    assert reasons == {1: "4", 2: "5", 3: "3", 4: "0"}


async def test_amd_tells_machine_from_human(twin: Twin, ami: AmiClient) -> None:
    """AMD() reports MACHINE or HUMAN from the called customer's behaviour."""
    twin.set_customer("5511900000011", "machine", delay=0.1)
    twin.set_customer("5511900000012", "human", delay=0.1)
    for n in (11, 12):
        ami.send(
            Action="Originate",
            Channel=f"Local/55119000000{n}@customers",
            Context="amd_check",
            Exten="100",
            Priority="1",
            Async="true",
            ActionID=f"amd-{n}",
        )
    results = {}
    for n in (11, 12):
        origin = await ami.wait_for(
            lambda m, n=n: m.get("Event") == "OriginateResponse" and m.get("ActionID") == f"amd-{n}"
        )
        event = await ami.wait_for(
            lambda m, origin=origin: (
                m.get("Event") == "VarSet"
                and m.get("Variable") == "AMD_RESULT"
                and m.get("Uniqueid") == origin["Uniqueid"]
            )
        )
        results[n] = event["Value"]
    assert results == {11: "MACHINE", 12: "HUMAN"}


async def test_dropping_ami_connections_keeps_calls(twin: Twin, ami: AmiClient) -> None:
    """Fault injection closes every AMI socket; calls survive and a new login works."""
    await twin.place_inbound_call("1133330001", "5511999990005")
    await eventually(lambda: _on_hold(twin, "1133330001"))
    twin.drop_ami_connections()
    await asyncio.wait_for(ami.closed.wait(), 2)
    assert _on_hold(twin, "1133330001")
    again = AmiClient()
    await again.connect(twin.port)
    assert (await again.login())["Response"] == "Success"
    shown = await again.action(Action="CoreShowChannels")
    assert shown["EventList"] == "start"
    done = await again.wait_for(lambda m: m.get("Event") == "CoreShowChannelsComplete")
    assert done["ListItems"] == "2"
    await again.close()


async def test_status_and_channels_table_agree(twin: Twin, ami: AmiClient) -> None:
    """Status over AMI lists the same channels, ids and contexts as twin.channels()."""
    await twin.place_inbound_call("1133330002", "5511999990006")
    await eventually(lambda: _on_hold(twin, "1133330002"))
    await ami.action(Action="Status")
    await ami.wait_for(lambda m: m.get("Event") == "StatusComplete")
    status = {m["Channel"]: m for m in ami.events("Status")}
    table = twin.channels()
    assert sorted(status) == sorted(ch.name for ch in table)
    for ch in table:
        assert status[ch.name]["Uniqueid"] == ch.uniqueid
        assert status[ch.name]["Linkedid"] == ch.linkedid
        assert status[ch.name]["Context"] == ch.context
        assert status[ch.name]["ChannelStateDesc"] == ch.state


async def test_agent_hangs_up_after_talking(twin: Twin, ami: AmiClient) -> None:
    """An agent who ends the call tears down the bridge and the caller's channels."""
    twin.set_agent_phone("2004@agents", answer=True, delay=0.2, talk_time=5)
    await twin.place_inbound_call("1133330001", "5511999990007")
    await eventually(lambda: _on_hold(twin, "1133330001"))
    caller = _on_hold(twin, "1133330001")
    assert caller is not None
    await ami.action(
        Action="Redirect", Channel=caller, Context="connect", Exten="2004", Priority="1"
    )
    await ami.wait_for(lambda m: m.get("Event") == "BridgeDestroy")
    await eventually(lambda: not twin.channels())
    hangups = {m["Channel"]: m["Cause"] for m in ami.events("Hangup")}
    assert hangups[caller] == "16"
    assert twin.stats["1133330001"].answered_by_agent == 1
    assert twin.stats["1133330001"].abandoned == 0


async def test_caller_hangs_up_while_agent_rings(twin: Twin, ami: AmiClient) -> None:
    """A caller leaving during ringing cancels the Dial (DialEnd CANCEL) and frees the agent."""
    twin.set_agent_phone("2005@agents", answer=False)
    await twin.place_inbound_call("1133330002", "5511999990008")
    await eventually(lambda: _on_hold(twin, "1133330002"))
    caller = _on_hold(twin, "1133330002")
    assert caller is not None
    await ami.action(
        Action="Redirect", Channel=caller, Context="connect", Exten="2005", Priority="1"
    )
    await ami.wait_for(lambda m: m.get("Event") == "DialState")
    assert twin.hangup(caller.replace(";2", ";1"))
    end = await ami.wait_for(lambda m: m.get("Event") == "DialEnd" and m.get("Channel") == caller)
    assert end["DialStatus"] == "CANCEL"
    await eventually(lambda: not twin.channels())
    assert twin.stats["1133330002"].abandoned == 1


async def test_synchronous_originate_waits_for_the_answer(twin: Twin, ami: AmiClient) -> None:
    """Without Async the response comes once the call is answered, with no OriginateResponse."""
    twin.set_customer("5511900000021", "human", delay=0.5)
    twin.set_customer("5511900000022", "busy")
    ok = await ami.action(
        Action="Originate",
        Channel="Local/5511900000021@customers",
        Application="Wait",
        Data="5",
        Variable="CAMPAIGN_ID=7",
    )
    assert (ok["Response"], ok["Message"]) == ("Success", "Originate successfully queued")
    answered = next(ch for ch in twin.channels() if ch.name.endswith(";1"))
    assert answered.state == "Up"
    varset = await ami.wait_for(
        lambda m: m.get("Event") == "VarSet" and m.get("Variable") == "CAMPAIGN_ID"
    )
    assert varset["Value"] == "7"
    failed = await ami.action(
        Action="Originate", Channel="Local/5511900000022@customers", Application="Wait", Data="5"
    )
    assert (failed["Response"], failed["Message"]) == ("Error", "Originate failed")
    assert ami.events("OriginateResponse") == []


async def test_place_inbound_call_returns_the_ivr_channel(
    twin: Twin, agi_server: FastAgiServer
) -> None:
    """The returned channel is the one FastAGI reports and the engine redirects."""
    info = await twin.place_inbound_call("1133330002", "5511999990009", "Clara Dias")
    assert info is not None
    await eventually(lambda: agi_server.sessions)
    assert agi_server.sessions[0]["agi_channel"] == info.name
    assert info.context == "inbound" and info.exten == "1133330002"
    assert info.caller_id_num == "5511999990009"

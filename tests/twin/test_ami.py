"""The twin's AMI server: login, privileges, event filtering, bad input."""

from __future__ import annotations

import asyncio
import hashlib

from telephony.twin import AmiUser, Twin, TwinConfig
from telephony.twin.ami import classes
from tests.twin.client import AmiClient


async def test_garbage_bytes_get_an_error_and_the_connection_stays(ami: AmiClient) -> None:
    """Bytes that are no AMI frame are answered with an error; the session keeps working."""
    ami.send_raw(b"\x00\xff\xfegarbage without colon\r\n\r\n")
    error = await ami.wait_for(lambda m: m.get("Response") == "Error")
    assert error["Message"] == "Missing action in request"
    pong = await ami.action(Action="Ping")
    assert pong["Response"] == "Success" and pong["Ping"] == "Pong"
    assert not ami.closed.is_set()


async def test_md5_login(twin: Twin) -> None:
    """Challenge/response login with MD5, as manager.conf users can do."""
    client = AmiClient()
    await client.connect(twin.port)
    challenge = await client.action(Action="Challenge", AuthType="md5")
    key = hashlib.md5((challenge["Challenge"] + "atende").encode()).hexdigest()
    ok = await client.action(Action="Login", AuthType="md5", Username="atende", Key=key)
    assert ok["Response"] == "Success"
    assert ok["Message"] == "Authentication accepted"
    booted = await client.wait_for(lambda m: m.get("Event") == "FullyBooted")
    assert booted["Status"] == "Fully Booted"
    await client.close()


async def test_wrong_secret_is_refused_and_the_session_closed(twin: Twin) -> None:
    """A bad secret gets Asterisk's failure reply and the socket is closed."""
    client = AmiClient()
    await client.connect(twin.port)
    assert client.banner == "Asterisk Call Manager/11.0.0"
    reply = await client.login(secret="wrong")
    assert (reply["Response"], reply["Message"]) == ("Error", "Authentication failed")
    await asyncio.wait_for(client.closed.wait(), 2)
    await client.close()


async def test_actions_before_login_are_denied(twin: Twin) -> None:
    """Nothing but Login/Challenge works before logging in."""
    client = AmiClient()
    await client.connect(twin.port)
    reply = await client.action(Action="CoreShowChannels")
    assert (reply["Response"], reply["Message"]) == ("Error", "Permission denied")
    await client.close()


async def test_events_follow_read_privileges_and_events_flag(agi_server: object) -> None:
    """A user reading only 'call' never sees dialplan events; Events: off sees none."""
    twin = Twin(
        TwinConfig(
            users={
                "full": AmiUser("s1"),
                "calls": AmiUser("s2", read=classes("call")),
                "quiet": AmiUser("s3"),
                "nowrite": AmiUser("s4", write=classes("reporting")),
            },
            time_scale=0.02,
            agi_address=("127.0.0.1", 9),
        )
    )
    await twin.start()
    clients = {name: AmiClient() for name in ("full", "calls", "quiet", "nowrite")}
    try:
        for name, client in clients.items():
            await client.connect(twin.port)
            extra = {"Events": "off"} if name == "quiet" else {}
            secret = {"full": "s1", "calls": "s2", "quiet": "s3", "nowrite": "s4"}[name]
            assert (await client.login(name, secret, **extra))["Response"] == "Success"
        denied = await clients["nowrite"].action(
            Action="Originate", Channel="Local/1@caller", Application="Wait", Data="1"
        )
        assert denied["Message"] == "Permission denied"
        await twin.place_inbound_call("1133330001", "5511999990001")
        await clients["full"].wait_for(lambda m: m.get("Event") == "MusicOnHoldStart")
        full = {m.get("Event") for m in clients["full"].messages}
        calls = {m.get("Event") for m in clients["calls"].messages}
        assert {"Newexten", "VarSet", "Newchannel"} <= full
        assert "Newchannel" in calls and "MusicOnHoldStart" in calls
        assert not {"Newexten", "VarSet", "SuccessfulAuth", "FullyBooted"} & calls
        assert [m for m in clients["quiet"].messages if "Event" in m] == []
    finally:
        for client in clients.values():
            await client.close()
        await twin.stop()


async def test_unknown_action_and_missing_channel(ami: AmiClient) -> None:
    """Errors are worded as Asterisk words them."""
    unknown = await ami.action(Action="NoSuchAction")
    assert unknown["Message"].startswith("Invalid/unknown command: NoSuchAction.")
    redirect = await ami.action(
        Action="Redirect", Channel="Local/nope-0001;1", Context="connect", Exten="1"
    )
    assert redirect["Message"] == "Channel does not exist: Local/nope-0001;1"
    hangup = await ami.action(Action="Hangup", Channel="Local/nope-0001;1")
    assert (hangup["Response"], hangup["Message"]) == ("Error", "No such channel")


async def test_logoff(ami: AmiClient) -> None:
    """Logoff says goodbye and closes the socket."""
    bye = await ami.action(Action="Logoff")
    assert (bye["Response"], bye["Message"]) == ("Goodbye", "Thanks for all the fish.")
    await asyncio.wait_for(ami.closed.wait(), 2)


async def test_bad_values_get_an_error_not_a_dropped_session(ami: AmiClient) -> None:
    """A value that does not parse is answered with an error; the session goes on."""
    bad = await ami.action(Action="Originate", Channel="Local/1@caller", Exten="1", Timeout="soon")
    assert bad["Response"] == "Error"
    await ami.action(Action="Getvar", Variable="EPOCH")
    dtmf = await ami.action(Action="PlayDTMF", Channel="Local/none-0;1", Digit="1", Duration="x")
    assert dtmf["Response"] == "Error"
    assert (await ami.action(Action="Ping"))["Ping"] == "Pong"


async def test_events_action_turns_events_off_and_on(twin: Twin, ami: AmiClient) -> None:
    """``Action: Events`` with EventMask off stops events; on brings them back."""
    off = await ami.action(Action="Events", EventMask="off")
    assert off["Events"] == "Off"
    before = len(ami.events("Newchannel"))
    await twin.place_inbound_call("1133330001", "5511999990001")
    await ami.action(Action="Ping")
    assert len(ami.events("Newchannel")) == before
    on = await ami.action(Action="Events", EventMask="on")
    assert on["Events"] == "On"
    await twin.place_inbound_call("1133330002", "5511999990002")
    await ami.wait_for(lambda m: m.get("Event") == "Newchannel")

"""The AMI client against a scripted AMI peer on real TCP (loopback)."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import SecretStr

from telephony.ami import (
    AmiActionError,
    AmiActionTimeout,
    AmiAuthenticationError,
    AmiClient,
    AmiMessage,
    AmiServer,
)


class Sink:
    """Collects what the client hands over."""

    def __init__(self) -> None:
        self.events: list[AmiMessage] = []
        self.resyncs: list[list[AmiMessage]] = []
        self.states: list[bool] = []
        self.changed = asyncio.Event()

    def ami_events(self, server: str, events: list[AmiMessage], received_at: float) -> None:
        self.events += events
        self.changed.set()

    def ami_resynced(
        self, server: str, channels: list[AmiMessage], requested_at: float, received_at: float
    ) -> None:
        self.resyncs.append(channels)
        self.changed.set()

    def ami_connection_changed(self, server: str, connected: bool) -> None:
        self.states.append(connected)
        self.changed.set()

    async def wait_for(self, check: Callable[[], bool], limit: float = 5.0) -> None:
        async with asyncio.timeout(limit):
            while not check():
                self.changed.clear()
                await self.changed.wait()


def server(port: int, secret: str = "acdsecret") -> AmiServer:
    return AmiServer(
        name="pbx1", host="127.0.0.1", port=port, username="acd", secret=SecretStr(secret)
    )


def client(port: int, sink: Sink, **kwargs: Any) -> AmiClient:
    kwargs.setdefault("reconnect_base_delay", 0.05)
    kwargs.setdefault("action_timeout", 2.0)
    return AmiClient(server(port, kwargs.pop("secret", "acdsecret")), sink, **kwargs)


async def test_login_then_actions_answered_as_recorded(
    scripted_ami: Any, trace: Callable[[str], Any]
) -> None:
    """After login, Ping/CoreStatus/Getvar get Asterisk's recorded answers; errors raise."""
    peer = await scripted_ami(answers=trace("actions_misc").answers())
    sink = Sink()
    ami = client(peer.port, sink)
    await ami.start()
    try:
        assert ami.connected and sink.states == [True]
        assert peer.received[0]["Secret"] == "acdsecret"
        pong = await ami.send_action({"Action": "Ping"})
        assert pong.response["Ping"] == "Pong"
        var = await ami.send_action({"Action": "Getvar", "Variable": "EPOCH"})
        assert var.response["Value"] == "1795822173"
        with pytest.raises(AmiActionError) as err:
            await ami.send_action({"Action": "Redirect", "Channel": "Local/nonexistent-0001;1"})
        assert err.value.message == "Channel does not exist: Local/nonexistent-0001;1"
        unknown = await ami.send_action({"Action": "NoSuchAction"}, raise_on_error=False)
        assert not unknown.ok and unknown.message.startswith("Invalid/unknown command")
        assert ami.pending_actions == 0
    finally:
        await ami.stop()


async def test_status_list_collects_events_until_complete(
    scripted_ami: Any, trace: Callable[[str], Any]
) -> None:
    """Status is an event list: its Status events come back together, with their variables."""
    peer = await scripted_ami(answers=trace("status_setvar").answers())
    ami = client(peer.port, Sink())
    await ami.start()
    try:
        everything = await ami.send_action({"Action": "Status"})
        assert [e["Channel"][-2:] for e in everything.events] == [";1", ";2"]
        assert everything.complete is not None and everything.complete["ListItems"] == "2"
        one = await ami.send_action(
            {"Action": "Status", "Channel": "x", "Variables": "ACD_QUEUE,ROUTE"}
        )
        (status,) = one.events
        assert status.variables() == {"ACD_QUEUE": "vendas", "ROUTE": "queue:vendas"}
    finally:
        await ami.stop()


async def test_originate_waits_for_originate_response(
    scripted_ami: Any, trace: Callable[[str], Any]
) -> None:
    """An async Originate returns when its OriginateResponse arrives, with the busy reason."""
    peer = await scripted_ami(answers=trace("outbound_results").answers())
    sink = Sink()
    ami = client(peer.port, sink)
    await ami.start()
    try:
        result = await ami.originate(
            {"Channel": "Local/551130000000@customer_busy", "Context": "connect", "Exten": "2002"},
            timeout=5,
        )
        assert not result.ok
        assert result.final_event is not None and result.final_event["Reason"] == "5"
        assert peer.received[-1]["Async"] == "true"
        assert any(e.get("Event") == "OriginateResponse" for e in sink.events)
    finally:
        await ami.stop()


async def test_bad_login_is_a_clear_error_without_retries(
    scripted_ami: Any, trace: Callable[[str], Any]
) -> None:
    """A wrong secret raises AmiAuthenticationError after the server's answer; no retry storm."""
    recorded = trace("bad_login")
    delay = 0.3
    peer = await scripted_ami(login_delay=delay)
    ami = client(peer.port, Sink(), secret="wrong")
    started = time.monotonic()
    with pytest.raises(AmiAuthenticationError, match="Authentication failed"):
        await ami.start()
    assert time.monotonic() - started >= delay
    assert recorded.frames()[0].endswith("Message: Authentication failed")
    await asyncio.sleep(0.4)
    assert peer.connections == 1
    assert peer.count("Login") == 1
    assert not ami.connected
    assert "wrong" not in str(ami.failure)


async def test_action_timeout_leaves_no_pending_future(scripted_ami: Any) -> None:
    """A peer that never answers: TimeoutError-like error, nothing left pending, link alive."""
    peer = await scripted_ami(silent={"Getvar"})
    ami = client(peer.port, Sink())
    await ami.start()
    try:
        with pytest.raises(AmiActionTimeout) as err:
            await ami.send_action({"Action": "Getvar", "Variable": "X"}, timeout=0.2)
        assert isinstance(err.value, TimeoutError)
        assert ami.pending_actions == 0
        pong = await ami.send_action({"Action": "Ping"})
        assert pong.ok
        assert peer.connections == 1
    finally:
        await ami.stop()


async def test_garbage_mid_stream_keeps_the_connection(
    scripted_ami: Any, trace: Callable[[str], Any]
) -> None:
    """Binary garbage between events is skipped; the next event arrives on the same connection."""
    peer = await scripted_ami()
    sink = Sink()
    ami = client(peer.port, sink)
    await ami.start()
    try:
        events = trace("inbound_routed").chunks_until("Event: Newchannel")[-1]
        await peer.push(b"\x00\xff\xfe\x80\x81 not AMI at all\r\n\r\nbroken line\r\n")
        await peer.push(events)
        await sink.wait_for(lambda: any(e.get("Event") == "Newchannel" for e in sink.events))
        first = next(e for e in sink.events if e.get("Event") == "Newchannel")
        assert first["Channel"] == "Local/5511999990001@inbound-00000000;1"
        assert (await ami.send_action({"Action": "Ping"})).ok
        assert peer.connections == 1 and sink.states == [True]
    finally:
        await ami.stop()


async def test_reconnect_with_backoff_then_resync(
    scripted_ami: Any, recorded_channels: Callable[[str], list[str]]
) -> None:
    """The peer drops the socket: the client reconnects after a jittered delay, logs in again
    and runs CoreShowChannels, handing the reported channels over."""
    peer = await scripted_ami()
    sink = Sink()
    ami = client(peer.port, sink, reconnect_base_delay=0.1)
    await ami.start()
    try:
        await sink.wait_for(lambda: len(sink.resyncs) == 1)
        assert sink.resyncs[0] == []
        peer.channels = recorded_channels("inbound_routed")
        await peer.drop()
        await sink.wait_for(lambda: len(sink.resyncs) == 2)
        assert sink.states == [True, False, True]
        assert peer.connections == 2 and peer.count("Login") == 2
        assert peer.count("CoreShowChannels") == 2
        assert len(ami.reconnect_delays) == 1 and 0.05 <= ami.reconnect_delays[0] <= 0.1
        assert [e["Channel"] for e in sink.resyncs[1]][:2] == [
            "Local/5511999990001@inbound-00000000;1",
            "Local/5511999990001@inbound-00000000;2",
        ]
    finally:
        await ami.stop()


async def test_unreachable_server_is_retried_with_growing_delays() -> None:
    """Nobody listens: start() returns, and the client keeps trying with growing delays."""
    with socket.socket() as taken:  # bound, never listening: connections are refused
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        ami = client(port, Sink(), reconnect_base_delay=0.02, reconnect_max_delay=0.08)
        await ami.start()
        try:
            assert not ami.connected
            async with asyncio.timeout(5):
                while len(ami.reconnect_delays) < 4:  # noqa: ASYNC110 (polls the client's record)
                    await asyncio.sleep(0.02)
            ceilings = [0.02, 0.04, 0.08, 0.08]
            for delay, ceiling in zip(ami.reconnect_delays, ceilings, strict=False):
                assert ceiling / 2 <= delay <= ceiling
        finally:
            await ami.stop()


async def test_pending_action_fails_when_the_connection_drops(scripted_ami: Any) -> None:
    """An action waiting when the socket closes fails at once instead of hanging."""
    peer = await scripted_ami(silent={"Getvar"})
    ami = client(peer.port, Sink())
    await ami.start()
    try:
        waiting = asyncio.create_task(ami.send_action({"Action": "Getvar"}, timeout=5))
        await asyncio.sleep(0.05)
        await peer.drop()
        with pytest.raises(ConnectionError):
            await waiting
        assert ami.pending_actions == 0
    finally:
        await ami.stop()


async def test_md5_challenge_login(scripted_ami: Any) -> None:
    """With auth="md5" the secret never crosses the wire: Challenge, then Login with the key."""
    peer = await scripted_ami()
    ami = client(peer.port, Sink(), auth="md5")
    await ami.start()
    try:
        assert ami.connected
        login = next(a for a in peer.received if a["Action"] == "Login")
        assert login["AuthType"] == "MD5" and "Secret" not in login
        assert "acdsecret" not in json.dumps(peer.received)
    finally:
        await ami.stop()


async def test_unanswered_ping_means_a_dead_link(scripted_ami: Any) -> None:
    """A peer that stops answering (half-open TCP) is detected by the ping and reconnected."""
    peer = await scripted_ami(silent={"Ping"})
    sink = Sink()
    ami = client(peer.port, sink, ping_interval=0.1, action_timeout=0.2)
    await ami.start()
    try:
        await sink.wait_for(lambda: sink.states[-3:] == [True, False, True])
        assert peer.connections >= 2
        assert peer.count("Ping") >= 1
    finally:
        await ami.stop()

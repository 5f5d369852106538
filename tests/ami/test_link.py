"""The Asterisk link: clients, queue, tracker and listeners together, over real TCP."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from pydantic import SecretStr

from atende.settings import AmiServer, Settings
from telephony.ami import AmiAuthenticationError
from telephony.calls import CallEnded, CallerOnHold, OriginateResult, ResyncDiff, TrackerRecord
from telephony.link import AsteriskLink


def servers(*peers: Any, secret: str = "acdsecret") -> list[AmiServer]:
    return [
        AmiServer(
            name=f"pbx{i + 1}",
            host="127.0.0.1",
            port=p.port,
            username="acd",
            secret=SecretStr(secret),
        )
        for i, p in enumerate(peers)
    ]


class Recorder:
    """A listener that keeps every record and lets a test wait for one."""

    def __init__(self) -> None:
        self.records: list[TrackerRecord] = []
        self.changed = asyncio.Event()

    async def __call__(self, records: Sequence[TrackerRecord]) -> None:
        self.records.extend(records)
        self.changed.set()

    def of(self, kind: type) -> list[Any]:
        return [r for r in self.records if isinstance(r, kind)]

    async def wait_for(self, check: Callable[[], bool], limit: float = 5.0) -> None:
        async with asyncio.timeout(limit):
            while not check():
                self.changed.clear()
                await self.changed.wait()


async def test_events_from_two_servers_reach_listeners(
    scripted_ami: Any, trace: Callable[[str], Any]
) -> None:
    """Replayed traffic on two servers becomes tracked calls and change records per server."""
    p1, p2 = await scripted_ami(), await scripted_ami()
    link = AsteriskLink(servers(p1, p2), reconnect_base_delay=0.05)
    seen = Recorder()
    link.subscribe(seen)
    await link.start()
    try:
        assert [s["connected"] for s in link.status()] == [True, True]
        await seen.wait_for(lambda: len(seen.of(ResyncDiff)) == 2)
        abandoned = trace("inbound_abandoned")
        for data in abandoned.chunks_until("MusicOnHoldStart"):
            await p1.push(data)
            await p2.push(data)
        await seen.wait_for(lambda: len(seen.of(CallerOnHold)) == 2)
        await link.drain()
        view = link.live_calls_view()
        assert sorted((r["server"], r["state"]) for r in view) == [
            ("pbx1", "on_hold"),
            ("pbx2", "on_hold"),
        ]
        for _, data in abandoned.recv_chunks[len(abandoned.chunks_until("MusicOnHoldStart")) + 1 :]:
            await p1.push(data)
        await seen.wait_for(lambda: len(seen.of(CallEnded)) == 1)
        (ended,) = seen.of(CallEnded)
        assert (ended.server, ended.state_at_hangup, ended.agent) == ("pbx1", "on_hold", None)
        assert [r["server"] for r in link.live_calls_view()] == ["pbx2"]
    finally:
        await link.stop()


async def test_reconnect_resync_diff_reaches_listeners(
    scripted_ami: Any,
    trace: Callable[[str], Any],
    recorded_channels: Callable[[str], list[str]],
) -> None:
    """A call held before the drop is gone after it and another appeared: the diff says both."""
    peer = await scripted_ami()
    link = AsteriskLink(servers(peer), reconnect_base_delay=0.05)
    seen = Recorder()
    link.subscribe(seen)
    await link.start()
    try:
        await link.wait_synced("pbx1", timeout=5)
        assert len(seen.of(ResyncDiff)) == 1
        for data in trace("inbound_abandoned").chunks_until("MusicOnHoldStart"):
            await peer.push(data)
        await seen.wait_for(lambda: len(seen.of(CallerOnHold)) == 1)
        peer.channels = recorded_channels("inbound_routed")
        await peer.drop()
        async with asyncio.timeout(5):
            while link.synced("pbx1"):  # noqa: ASYNC110 (the drop is seen by the client first)
                await asyncio.sleep(0.01)
        await link.wait_synced(timeout=5)
        assert len(seen.of(ResyncDiff)) == 2
        diff = seen.of(ResyncDiff)[1]
        assert len(diff.vanished) == 2 and len(diff.appeared) == 4
        (ended,) = seen.of(CallEnded)
        assert ended.unseen and ended.state_at_hangup == "on_hold"
        assert ended in diff.changes
        (row,) = link.live_calls_view()
        assert (row["linkedid"], row["state"], row["channels"]) == ("1795822159.0", "talking", 4)
        assert link.client("pbx1").logins == 2
    finally:
        await link.stop()


async def test_full_queue_drops_events_then_resyncs(
    scripted_ami: Any,
    trace: Callable[[str], Any],
    recorded_channels: Callable[[str], list[str]],
) -> None:
    """A burst larger than the queue is not blocked on: the overflow is counted and a
    CoreShowChannels resync brings the tracker back in line with Asterisk."""
    peer = await scripted_ami()
    link = AsteriskLink(servers(peer), queue_size=8, reconnect_base_delay=0.05)
    seen = Recorder()
    link.subscribe(seen)
    await link.start()
    try:
        await seen.wait_for(lambda: len(seen.of(ResyncDiff)) == 1)
        peer.channels = recorded_channels("inbound_routed")
        chunks = trace("inbound_routed").chunks_until("CoreShowChannelsComplete")
        await peer.push(b"".join(chunks[:-1]))
        await seen.wait_for(lambda: len(seen.of(ResyncDiff)) == 2)
        assert link.dropped_events > 0
        assert peer.count("CoreShowChannels") == 2
        await link.drain()
        (row,) = link.live_calls_view()
        assert (row["state"], row["channels"]) == ("talking", 4)
    finally:
        await link.stop()


async def test_wrong_secret_fails_start(scripted_ami: Any) -> None:
    """start() raises AmiAuthenticationError for a refused secret and leaves nothing running."""
    peer = await scripted_ami()
    link = AsteriskLink(servers(peer, secret="nope"), reconnect_base_delay=0.05)
    with pytest.raises(AmiAuthenticationError):
        await link.start()
    await asyncio.sleep(0.2)
    assert peer.connections == 1
    assert link.status()[0]["refused"] is True


async def test_send_action_and_listener_errors_do_not_stop_the_link(
    scripted_ami: Any, trace: Callable[[str], Any]
) -> None:
    """A failing listener is logged and skipped; actions still go through the link."""
    peer = await scripted_ami(answers=trace("actions_misc").answers())
    link = AsteriskLink(servers(peer), reconnect_base_delay=0.05)
    seen = Recorder()

    def broken(records: Sequence[TrackerRecord]) -> None:
        raise RuntimeError("listener bug")

    link.subscribe(broken)
    link.subscribe(seen)
    await link.start()
    try:
        pong = await link.send_action("pbx1", {"Action": "Ping"}, timeout=2)
        assert pong.response["Ping"] == "Pong"
        await seen.wait_for(lambda: len(seen.of(ResyncDiff)) == 1)
    finally:
        await link.stop()


def test_from_settings_uses_every_server() -> None:
    """The link is built from ATENDE_AMI_SERVERS with the configured timeouts."""
    settings = Settings(
        ami_servers="ami://a:s@127.0.0.1:5038/pbx1,ami://a:s@127.0.0.2:5038/pbx2",  # type: ignore[arg-type]
        ami_action_timeout=3.5,
    )
    link = AsteriskLink.from_settings(settings)
    assert link.servers == ["pbx1", "pbx2"]
    assert link.client("pbx2").action_timeout == 3.5


async def test_originate_through_the_link_and_clean_stop(
    scripted_ami: Any, trace: Callable[[str], Any]
) -> None:
    """An Originate returns its OriginateResponse; the listener sees the OriginateResult; after
    stop() no task of the link is left running."""
    peer = await scripted_ami(answers=trace("outbound_results").answers())
    link = AsteriskLink(servers(peer), reconnect_base_delay=0.05)
    seen = Recorder()
    link.subscribe(seen)
    await link.start()
    try:
        result = await link.originate(
            "pbx1", {"Channel": "Local/551130000000@customer_busy", "Exten": "2002"}, timeout=5
        )
        assert not result.ok and result.final_event is not None
        await seen.wait_for(lambda: len(seen.of(OriginateResult)) == 1)
        (res,) = seen.of(OriginateResult)
        assert (res.action_id, res.reason_text) == (result.response["ActionID"], "busy")
    finally:
        await link.stop()
    mine = [
        t
        for t in asyncio.all_tasks()
        if t.get_name().startswith(("ami-", "asterisk-link")) and not t.done()
    ]
    assert mine == []


async def test_events_not_yet_applied_name_their_calls(
    scripted_ami: Any, trace: Callable[[str], Any]
) -> None:
    """While a listener is still busy with earlier records, the events read after them are
    held in the link's queue: their calls are reported unapplied (the ACD acts on no timer of
    them meanwhile), and no longer once the listeners have had them."""
    peer = await scripted_ami()
    link = AsteriskLink(servers(peer), reconnect_base_delay=0.05)
    seen = Recorder()
    busy = asyncio.Event()
    go_on = asyncio.Event()

    async def slow(records: Sequence[TrackerRecord]) -> None:
        if any(isinstance(r, CallerOnHold) for r in records):
            busy.set()
            await go_on.wait()

    link.subscribe(seen)
    link.subscribe(slow)
    await link.start()
    try:
        await seen.wait_for(lambda: len(seen.of(ResyncDiff)) == 1)
        await link.drain()
        assert link.unapplied_calls("pbx1") == frozenset()
        abandoned = trace("inbound_abandoned")
        until_hold = abandoned.chunks_until("MusicOnHoldStart")
        for data in until_hold:
            await peer.push(data)
        await asyncio.wait_for(busy.wait(), 5)
        (held,) = seen.of(CallerOnHold)
        for _, data in abandoned.recv_chunks[len(until_hold) + 1 :]:
            await peer.push(data)
        async with asyncio.timeout(5):
            while held.linkedid not in (link.unapplied_calls("pbx1") or ()):  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        go_on.set()
        await seen.wait_for(lambda: len(seen.of(CallEnded)) == 1)
        await link.drain()
        assert link.unapplied_calls("pbx1") == frozenset()
    finally:
        await link.stop()

"""Resync: the tracker's table replaced by what CoreShowChannels reports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telephony.ami import AmiParser
from telephony.calls import CallEnded, CallStarted, CallTracker, ChannelHungUp

SERVER = "pbx1"


def _feed_until(tracker: CallTracker, trace: Any, marker: str, server: str = SERVER) -> None:
    parser = AmiParser()
    for data in trace.chunks_until(marker):
        for msg in parser.feed(data):
            tracker.apply(server, msg, 1000.0)


def _feed_until_event(tracker: CallTracker, trace: Any, event: str, source: str) -> None:
    """Apply messages up to (and with) the ``event`` whose Channel starts with ``source``."""
    parser = AmiParser()
    for _, data in trace.recv_chunks:
        for msg in parser.feed(data):
            tracker.apply(SERVER, msg, 1000.0)
            if msg.get("Event") == event and msg.get("Channel", "").startswith(source):
                return


def _report(frames: list[str]) -> list[Any]:
    return AmiParser(expect_banner=False).feed("".join(f + "\r\n\r\n" for f in frames).encode())


def test_resync_with_what_asterisk_reports_changes_nothing(
    trace: Callable[[str], Any], recorded_channels: Callable[[str], list[str]]
) -> None:
    """Right after the recorded CoreShowChannels, the tracker already agrees with Asterisk."""
    tracker = CallTracker()
    _feed_until(tracker, trace("inbound_routed"), "CoreShowChannelsComplete")
    diff = tracker.resync(SERVER, _report(recorded_channels("inbound_routed")), 2000.0)
    assert diff.empty
    assert diff.changes == ()
    (row,) = tracker.live_calls_view()
    assert row["state"] == "talking"


def test_resync_finds_hung_up_and_new_calls(
    trace: Callable[[str], Any], recorded_channels: Callable[[str], list[str]]
) -> None:
    """A held call that vanished while away ends unseen; the reported call appears, bridged."""
    tracker = CallTracker()
    _feed_until(tracker, trace("inbound_abandoned"), "MusicOnHoldStart")
    (held,) = tracker.live_calls_view()
    assert held["state"] == "on_hold"
    diff = tracker.resync(SERVER, _report(recorded_channels("inbound_routed")), 2000.0)
    assert sorted(s.name for s in diff.vanished) == [
        "Local/5511999990002@inbound-00000002;1",
        "Local/5511999990002@inbound-00000002;2",
    ]
    assert len(diff.appeared) == 4
    ended = [c for c in diff.changes if isinstance(c, CallEnded)]
    assert [(e.linkedid, e.unseen, e.state_at_hangup) for e in ended] == [
        (held["linkedid"], True, "on_hold")
    ]
    assert all(c.unseen for c in diff.changes if isinstance(c, ChannelHungUp))
    assert len([c for c in diff.changes if isinstance(c, CallStarted)]) == 1
    (row,) = tracker.live_calls_view()
    assert row["linkedid"] == "1795822159.0"
    assert row["state"] == "talking"
    assert row["channels"] == 4
    assert row["started_at"].startswith("1970-01-01T00:33:17")  # 2000 s minus the 3 s reported


def test_resync_corrects_state_and_bridge(
    trace: Callable[[str], Any], recorded_channels: Callable[[str], list[str]]
) -> None:
    """A channel seen ringing but reported up and bridged is corrected, and the diff says so."""
    tracker = CallTracker()
    _feed_until_event(tracker, trace("inbound_routed"), "DialBegin", "Local/5511999990001")
    before = {ch.name: ch.state for ch in tracker.channels(SERVER)}
    diff = tracker.resync(SERVER, _report(recorded_channels("inbound_routed")), 2000.0)
    changed = {(c.name, c.field): (c.old, c.new) for c in diff.changed}
    agent = "Local/2001@agents-00000001;1"
    assert before[agent] != "6"
    assert changed[(agent, "state")] == (before[agent], "6")
    assert changed[(agent, "bridge_id")] == (None, "9ca3d639-29ad-4bd1-80d9-b3cf38df7c95")
    assert not diff.vanished and not diff.appeared
    (row,) = tracker.live_calls_view()
    assert row["state"] == "talking"


def test_resync_touches_only_its_server(
    trace: Callable[[str], Any], recorded_channels: Callable[[str], list[str]]
) -> None:
    """An empty report from pbx2 ends pbx2's calls only."""
    tracker = CallTracker()
    _feed_until(tracker, trace("inbound_abandoned"), "MusicOnHoldStart", "pbx1")
    _feed_until(tracker, trace("inbound_abandoned"), "MusicOnHoldStart", "pbx2")
    diff = tracker.resync("pbx2", [], 2000.0)
    assert len(diff.vanished) == 2
    assert [r["server"] for r in tracker.live_calls_view()] == ["pbx1"]


def test_resync_keeps_what_happened_after_it_was_requested(
    trace: Callable[[str], Any], recorded_channels: Callable[[str], list[str]]
) -> None:
    """Events newer than the report win: a call created after the request is not ended, and a
    channel that hung up after the request is not brought back."""
    tracker = CallTracker()
    parser = AmiParser()
    for data in trace("inbound_abandoned").chunks_until("MusicOnHoldStart"):
        for msg in parser.feed(data):
            tracker.apply(SERVER, msg, 1500.0)
    report = _report(recorded_channels("inbound_routed"))
    agent_leg = report[2]
    hangup = {
        "Event": "Hangup",
        "Channel": agent_leg["Channel"],
        "Uniqueid": agent_leg["Uniqueid"],
        "Cause": "16",
    }
    tracker.apply(SERVER, {**agent_leg, "Event": "Newchannel"}, 1500.0)
    tracker.apply(SERVER, hangup, 1500.0)
    diff = tracker.resync(SERVER, report, 1600.0, since=1400.0)
    assert diff.vanished == ()
    assert agent_leg["Uniqueid"] not in {s.uniqueid for s in diff.appeared}
    assert len(diff.appeared) == 3
    assert sorted(r["state"] for r in tracker.live_calls_view()) == ["in_dialplan", "on_hold"]

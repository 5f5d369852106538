"""The tracker under arbitrary event sequences: it never raises and keeps its tables coherent."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from telephony.calls import CallTracker

NAMES = [
    "Local/100@inbound-00000001;1",
    "Local/100@inbound-00000001;2",
    "Local/2001@agents-00000002;1",
    "Local/2001@agents-00000002;2",
    "PJSIP/trunk-00000003",
]
UIDS = ["1.1", "1.2", "1.3", "1.4", "1.5"]
EVENTS = [
    "Newchannel",
    "Newstate",
    "Newexten",
    "NewCallerid",
    "VarSet",
    "DialBegin",
    "DialState",
    "DialEnd",
    "BridgeCreate",
    "BridgeEnter",
    "BridgeLeave",
    "BridgeDestroy",
    "MusicOnHoldStart",
    "MusicOnHoldStop",
    "HangupRequest",
    "Hangup",
    "OriginateResponse",
    "DTMFEnd",
    "ChanSpyStart",
    "ChanSpyStop",
    "LocalBridge",
    "Rename",
    "CoreShowChannel",
    "Status",
    "UnknownEvent",
]

DROPPABLE = [
    "Channel",
    "Uniqueid",
    "Linkedid",
    "ChannelState",
    "DestUniqueid",
    "DestChannel",
    "SpyeeUniqueid",
    "LocalTwoUniqueid",
    "BridgeUniqueid",
    "Value",
]


def snapshot(prefix: str, idx: int, linked: int, state: str) -> dict[str, str]:
    return {
        f"{prefix}Channel": NAMES[idx],
        f"{prefix}Uniqueid": UIDS[idx],
        f"{prefix}Linkedid": UIDS[linked],
        f"{prefix}ChannelState": state,
        f"{prefix}CallerIDNum": "5511",
        f"{prefix}Context": "inbound",
        f"{prefix}Exten": "100",
    }


event = st.builds(
    lambda name, a, b, la, lb, state, drop, extra: {
        "Event": name,
        **{
            k: v
            for k, v in {
                **snapshot("", a, la, state),
                **snapshot("Dest", b, lb, state),
                **snapshot("Spyer", a, la, state),
                **snapshot("Spyee", b, lb, state),
                **snapshot("LocalOne", a, la, state),
                **snapshot("LocalTwo", b, lb, state),
                "BridgeUniqueid": "br-1",
                "DialStatus": "ANSWER",
                "DialString": "2001@agents",
                "Variable": "AMDSTATUS",
                "Value": "MACHINE",
                "Newname": NAMES[b],
                "BridgeId": extra,
                "Application": "MusicOnHold",
            }.items()
            if k not in drop
        },
    },
    st.sampled_from(EVENTS),
    st.integers(0, 4),
    st.integers(0, 4),
    st.integers(0, 4),
    st.integers(0, 4),
    st.sampled_from(["0", "4", "5", "6"]),
    st.sets(st.sampled_from(DROPPABLE), max_size=4),
    st.sampled_from(["", "br-1", "br-2"]),
)


@settings(max_examples=300, deadline=None)
@given(events=st.lists(event, max_size=40), report=st.lists(event, max_size=5))
def test_any_event_sequence_keeps_tables_coherent(
    events: list[dict[str, str]], report: list[dict[str, str]]
) -> None:
    """Whatever Asterisk sends (in any order, fields missing), every live channel belongs to a
    live call that lists it, and the view can always be built; a resync keeps that true."""
    tracker = CallTracker()
    for i, ev in enumerate(events):
        tracker.apply("pbx1", ev, float(i))
        _check(tracker)
    tracker.resync("pbx1", report, 100.0)
    _check(tracker)


def _check(tracker: CallTracker) -> None:
    for ch in tracker.channels("pbx1"):
        call = tracker.call("pbx1", ch.call_id)
        assert call is not None and call.ended_at is None
        assert ch.uniqueid in call.channels
    for call in tracker.calls("pbx1"):
        assert call.channels, "a live call has channels"
        assert len(set(call.channels)) == len(call.channels)
        for uid in call.channels:
            ch = tracker.channel("pbx1", uid)
            assert ch is not None and ch.call_id == call.linkedid
    rows = tracker.live_calls_view()
    assert len(rows) == len(tracker.calls("pbx1"))

"""The incremental AMI parser on real recorded bytes and on broken input."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from telephony.ami import AmiParser, encode_action
from telephony.ami.parser import DEFAULT_MAX_FRAME

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "asterisk-traces"


def _all_bytes(trace: Any) -> bytes:
    return b"".join(data for _, data in trace.recv_chunks)


def test_banner_is_read_and_not_a_message(trace: Callable[[str], Any]) -> None:
    """The banner line is kept as the version, and the login answer is the first message."""
    parser = AmiParser()
    msgs = []
    for _, data in trace("inbound_routed").recv_chunks:
        msgs.extend(parser.feed(data))
    assert parser.banner == "Asterisk Call Manager/11.0.0"
    assert msgs[0] == {
        "Response": "Success",
        "ActionID": "login-1",
        "Message": "Authentication accepted",
    }


def test_byte_by_byte_gives_the_same_messages(trace: Callable[[str], Any]) -> None:
    """Feeding one byte at a time (CRLF split in halves) yields exactly the recorded messages."""
    data = _all_bytes(trace("inbound_routed"))
    whole = AmiParser().feed(data)
    parser = AmiParser()
    one_by_one = []
    for i in range(len(data)):
        one_by_one.extend(parser.feed(data[i : i + 1]))
    assert one_by_one == whole
    assert len(whole) == 117


@settings(max_examples=40, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=20_000), max_size=30))
def test_any_chunking_gives_the_same_messages(cuts: list[int]) -> None:
    """However the stream is cut into reads, the messages are the same."""
    records = [json.loads(line) for line in (FIXTURES / "supervisor_spy.ami.jsonl").open()]
    data = b"".join(r["data"].encode() for r in records if r["dir"] == "recv")
    expected = AmiParser().feed(data)
    parser = AmiParser()
    got = []
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    for a, b in itertools.pairwise(points):
        got.extend(parser.feed(data[a:b]))
    assert got == expected


def test_bare_lf_and_values_with_colons() -> None:
    """Bare LF line ends work; a value holding ': ' keeps everything after the first one."""
    parser = AmiParser(expect_banner=False)
    msgs = parser.feed(
        b"Event: Newexten\nChannel: PJSIP/1-0001\nAppData: a: b: c\nAccountCode: \n\n"
    )
    assert msgs == [
        {"Event": "Newexten", "Channel": "PJSIP/1-0001", "AppData": "a: b: c", "AccountCode": ""}
    ]


def test_repeated_keys_are_kept() -> None:
    """Status with Variables repeats ``Variable:``; ChanVariable lines are read too."""
    parser = AmiParser(expect_banner=False)
    (msg,) = parser.feed(
        b"Event: Status\r\nChannel: X\r\nVariable: A=1\r\nVariable: B=x=y\r\n"
        b"ChanVariable(X): C=3\r\n\r\n"
    )
    assert msg.getlist("Variable") == ["A=1", "B=x=y"]
    assert msg.variables() == {"A": "1", "B": "x=y", "C": "3"}
    assert msg["Variable"] == "B=x=y"


def test_legacy_follows_output() -> None:
    """``Response: Follows`` keeps its raw output lines, without the end marker."""
    parser = AmiParser(expect_banner=False)
    (msg,) = parser.feed(
        b"Response: Follows\r\nPrivilege: Command\r\nActionID: c1\r\n"
        b"Channel   Location   State\r\n1 active channel\r\n--END COMMAND--\r\n\r\n"
    )
    assert msg["ActionID"] == "c1"
    assert msg.getlist("Output") == ["Channel   Location   State", "1 active channel"]


def test_garbage_is_skipped_and_the_next_event_parsed() -> None:
    """Binary garbage is dropped (counted), never raised; the following events still parse."""
    parser = AmiParser(expect_banner=False)
    msgs = parser.feed(
        b"\x00\xff\xfe\x80garbage line\r\n\r\n"
        b"no colon here\r\nEvent: Hangup\r\nUniqueid: 1.1\r\n\r\n"
        b"Event: Newstate\r\nUniqueid: 1.2\r\n\r\n"
    )
    assert [m["Event"] for m in msgs] == ["Hangup", "Newstate"]
    assert msgs[0]["Uniqueid"] == "1.1"
    assert parser.malformed == 2


def test_oversize_frame_is_dropped_and_parsing_resumes() -> None:
    """A frame over the limit is discarded up to its end; the next message parses."""
    parser = AmiParser(expect_banner=False, max_frame=1000)
    assert parser.feed(b"Event: Big\r\nData: " + b"x" * 600) == []
    assert parser.feed(b"y" * 600) == []
    msgs = parser.feed(b"zzz\r\n\r\nEvent: Small\r\nA: 1\r\n\r\n")
    assert msgs == [{"Event": "Small", "A": "1"}]
    assert parser.malformed == 1
    assert DEFAULT_MAX_FRAME >= 1 << 20


def test_extra_blank_lines_between_messages_are_harmless() -> None:
    """Runs of blank lines between (or before) messages are not malformed frames."""
    parser = AmiParser(expect_banner=False)
    msgs = parser.feed(b"\r\n\r\nEvent: A\r\n\r\n\r\n\r\n\r\nEvent: B\r\nX: 1\r\n\r\n\r\n")
    assert msgs == [{"Event": "A"}, {"Event": "B", "X": "1"}]
    assert parser.malformed == 0


def test_malformed_frames_are_logged_with_their_reason() -> None:
    """Each skipped frame is logged as ami_frame_malformed with why and a short sample."""
    parser = AmiParser(expect_banner=False)
    with capture_logs() as logs:
        parser.feed(b"\x00\xff junk\r\n\r\nEvent: Ok\r\n\r\n")
    (entry,) = [e for e in logs if e["event"] == "ami_frame_malformed"]
    assert entry["reason"] == "no Event or Response header"
    assert "junk" in entry["sample"]


def test_encode_action_refuses_header_injection() -> None:
    """A value with CR/LF could smuggle a second action: it is refused; lists repeat the key."""
    assert encode_action({"Action": "Originate", "Variable": ["A=1", "B=2"]}) == (
        b"Action: Originate\r\nVariable: A=1\r\nVariable: B=2\r\n\r\n"
    )
    with pytest.raises(ValueError, match="line break"):
        encode_action({"Action": "Setvar", "Value": "x\r\n\r\nAction: Hangup"})
    with pytest.raises(ValueError):
        encode_action({"Channel": "PJSIP/1"})


KEY = st.text(alphabet=st.characters(min_codepoint=65, max_codepoint=122), min_size=1, max_size=12)
VALUE = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), max_codepoint=0x2FF),
    max_size=40,
).map(str.strip)


@settings(max_examples=60, deadline=None)
@given(
    messages=st.lists(
        st.dictionaries(KEY.filter(lambda k: k not in ("Event", "Response")), VALUE, max_size=8),
        min_size=1,
        max_size=8,
    ),
    cut=st.integers(min_value=1, max_value=64),
    bare_lf=st.booleans(),
)
def test_random_messages_round_trip(
    messages: list[dict[str, str]], cut: int, bare_lf: bool
) -> None:
    """Any messages (unicode values, colons inside) written with CRLF or LF and read in reads of
    any size come back exactly."""
    eol = "\n" if bare_lf else "\r\n"
    expected = [{"Event": f"E{i}", **m} for i, m in enumerate(messages)]
    wire = "".join(eol.join(f"{k}: {v}" for k, v in m.items()) + eol + eol for m in expected)
    data = wire.encode()
    parser = AmiParser(expect_banner=False)
    got = []
    for i in range(0, len(data), cut):
        got.extend(parser.feed(data[i : i + cut]))
    assert got == expected
    assert parser.malformed == 0

"""The twin's AMI frame codec (pure)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from telephony.twin.wire import BadFrame, FrameSplitter, encode, get_all, parse_frame

_key = st.text(alphabet=st.characters(min_codepoint=65, max_codepoint=90), min_size=1, max_size=8)
_value = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=20).map(
    str.strip
)
_message = st.lists(st.tuples(_key, _value), min_size=1, max_size=6)


@given(st.lists(_message, min_size=1, max_size=5), st.lists(st.integers(1, 40), max_size=20))
def test_any_chunking_gives_the_same_frames(
    messages: list[list[tuple[str, str]]], cuts: list[int]
) -> None:
    """However TCP cuts the bytes, the splitter returns every frame, unchanged and in order."""
    data = b"".join(encode(m) for m in messages)
    splitter = FrameSplitter()
    frames: list[str] = []
    pos = 0
    for cut in [*cuts, len(data)]:
        frames += splitter.feed(data[pos : pos + cut])
        pos += cut
    frames += splitter.feed(data[pos:])
    assert [parse_frame(f) for f in frames] == messages


def test_repeated_keys_keep_their_order() -> None:
    """Status repeats ``Variable``; every value is kept, in order."""
    message = parse_frame("Action: Status\r\nVariable: A=1\r\nVariable: B=2\r\n")
    assert get_all(message, "variable") == ["A=1", "B=2"]


def test_line_without_colon_is_a_bad_frame() -> None:
    """A frame with a line that is not ``Key: Value`` is rejected, naming the line."""
    try:
        parse_frame("Action: Ping\r\nnonsense\r\n")
    except BadFrame as exc:
        assert "nonsense" in str(exc)
    else:
        raise AssertionError("a bad frame was accepted")

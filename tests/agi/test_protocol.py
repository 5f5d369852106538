"""Pure unit tests of the wire format: quoting, answer parsing, environment parsing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telephony.agi import AgiProtocolError, Quoted, format_command, parse_environment
from telephony.agi.protocol import parse_success


def asterisk_parse_args(line: str) -> list[str]:
    """How res_agi.c ``parse_args`` splits a command line (same state machine, in Python)."""
    args: list[str] = []
    cur: list[str] | None = None
    quoted = escaped = False
    whitespace = True
    for ch in line:
        if ch == '"' and not escaped:
            quoted = not quoted
            if quoted and whitespace:
                cur = []
                args.append("")
                whitespace = False
            continue
        if ch in " \t" and not quoted and not escaped:
            if cur is not None:
                args[-1] = "".join(cur)
            cur = None
            whitespace = True
            continue
        if ch == "\\" and not escaped:
            escaped = True
            continue
        if whitespace:
            cur = []
            args.append("")
            whitespace = False
        assert cur is not None
        cur.append(ch)
        escaped = False
        args[-1] = "".join(cur)
    return args


def test_recorded_command_lines() -> None:
    """The command lines of the real traces come out byte for byte."""
    assert format_command("STREAM FILE", "hello-world", Quoted("")) == 'STREAM FILE hello-world ""'
    assert (
        format_command("STREAM FILE", "hello-world", Quoted("0123456789"))
        == 'STREAM FILE hello-world "0123456789"'
    )
    assert format_command("GET DATA", "press-1", 3000, 1) == "GET DATA press-1 3000 1"
    assert format_command("VERBOSE", Quoted("ivr done"), 1) == 'VERBOSE "ivr done" 1'
    assert format_command("SET VARIABLE", "IVR_START", "${EPOCH}") == (
        "SET VARIABLE IVR_START ${EPOCH}"
    )
    assert format_command("GET VARIABLE", "CALLERID(num)") == "GET VARIABLE CALLERID(num)"


TEXT = st.text(alphabet=st.characters(blacklist_characters="\r\n\x00", blacklist_categories=["Cs"]))


@given(st.lists(TEXT, max_size=5))
def test_asterisk_reads_back_exactly_the_arguments_sent(args: list[str]) -> None:
    """Whatever the text (spaces, quotes, backslashes, empty), Asterisk's parser gets it back."""
    line = format_command("SET VARIABLE", *args)
    assert asterisk_parse_args(line) == ["SET", "VARIABLE", *args]


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("two\nlines", "line break or NUL"),
        ("cr\r", "line break or NUL"),
        ("nul\x00", "line break or NUL"),
        ("half \ud800 char", "valid text"),
    ],
)
def test_arguments_that_cannot_be_sent_are_refused(bad: str, reason: str) -> None:
    """A line break or NUL (a smuggled second command) or text with no UTF-8 form is refused."""
    with pytest.raises(ValueError, match=reason):
        format_command("SET VARIABLE", "X", bad)


def test_command_longer_than_asterisk_reads_is_refused() -> None:
    """Asterisk reads at most 2047 bytes a line; a longer command is refused before sending."""
    with pytest.raises(ValueError, match="longer than"):
        format_command("SET VARIABLE", "X", "a" * 3000)


@pytest.mark.parametrize(
    ("line", "result", "data", "endpos"),
    [
        ("200 result=0", "0", None, None),
        ("200 result=-1", "-1", None, None),
        ("200 result=0 endpos=11360", "0", None, 11360),
        ("200 result=2 (timeout)", "2", "timeout", None),
        ("200 result= (timeout)", "", "timeout", None),
        ("200 result=", "", None, None),
        ("200 result=1 (5511999990001)", "1", "5511999990001", None),
        ("200 result=0 (timeout) endpos=8000", "0", "timeout", 8000),
    ],
)
def test_answer_forms(line: str, result: str, data: str | None, endpos: int | None) -> None:
    """Each ``200`` answer form Asterisk writes is split into result, data and endpos."""
    parsed = parse_success(line)
    assert parsed is not None
    assert (parsed.result, parsed.data, parsed.endpos) == (result, data, endpos)


@pytest.mark.parametrize("line", ["200 ok", "200 result=1 trailing words", "201 result=0"])
def test_malformed_answers_are_not_guessed(line: str) -> None:
    """A line that is not a ``200 result=`` answer is not taken for one."""
    assert parse_success(line) is None


def test_environment_requires_the_call_ids() -> None:
    """An environment without channel, uniqueid or request is refused by name."""
    with pytest.raises(AgiProtocolError, match="agi_uniqueid"):
        parse_environment(["agi_network: yes", "agi_channel: X", "agi_request: agi://h/x"])


def test_environment_rejects_non_numeric_priority() -> None:
    """A typed field with a bad value is an error naming the field."""
    lines = ["agi_channel: X", "agi_uniqueid: 1.1", "agi_request: r", "agi_priority: three"]
    with pytest.raises(AgiProtocolError, match="agi_priority"):
        parse_environment(lines)


def test_environment_keeps_empty_values_and_unknown_callerid() -> None:
    """``agi_accountcode: `` is an empty value; ``unknown`` caller ids become None."""
    env = parse_environment(
        [
            "agi_channel: PJSIP/trunk-0001",
            "agi_uniqueid: 1.1",
            "agi_request: agi://10.0.0.5/inbound",
            "agi_network_script: inbound",
            "agi_callerid: unknown",
            "agi_calleridname: unknown",
            "agi_accountcode: ",
            "agi_enhanced: 0.0",
        ]
    )
    assert env.callerid is None and env.calleridname is None
    assert env.accountcode == ""
    assert env.enhanced is False
    assert env.route == "inbound" and dict(env.query) == {}


def test_recorded_environments_come_back_byte_for_byte() -> None:
    """Every recorded environment, parsed then written again, is what Asterisk sent."""
    from pathlib import Path

    from telephony.agi.replay import load_agi_trace

    traces = Path(__file__).resolve().parents[1] / "fixtures" / "asterisk-traces"
    files = sorted(traces.glob("*.agi.jsonl"))
    sessions = [s for p in files for s in load_agi_trace(p)]
    starts = sum(p.read_text().count('"data": "agi_network: yes') for p in files)
    assert len(sessions) == starts >= 45
    for session in sessions:
        assert parse_environment(list(session.environment)).lines() == list(session.environment)


VALUE = st.text(
    alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=["Cs"]), max_size=20
)


@given(
    text_fields=st.dictionaries(
        st.sampled_from(
            [
                "language",
                "type",
                "version",
                "callerid",
                "calleridname",
                "dnid",
                "rdnis",
                "context",
                "extension",
                "accountcode",
                "threadid",
                "network_script",
            ]
        ),
        VALUE,
    ),
    numbers=st.dictionaries(
        st.sampled_from(["callingpres", "callingani2", "callington", "callingtns", "priority"]),
        st.integers(min_value=0, max_value=10**6),
    ),
    args=st.lists(VALUE, max_size=3),
    extra=st.dictionaries(st.from_regex(r"\Ax[a-z0-9_]{0,8}\Z"), VALUE, max_size=2),
)
def test_environment_written_then_parsed_is_unchanged(
    text_fields: dict[str, str], numbers: dict[str, int], args: list[str], extra: dict[str, str]
) -> None:
    """Any environment, written as Asterisk would and parsed back, is the same environment."""
    lines = ["agi_network: yes", "agi_channel: PJSIP/x-1", "agi_uniqueid: 1.1", "agi_request: r"]
    lines += [f"agi_{k}: {v}" for k, v in {**text_fields, **numbers, **extra}.items()]
    lines += [f"agi_arg_{n}: {v}" for n, v in enumerate(args, start=1)]
    env = parse_environment(lines)
    assert parse_environment(env.lines()) == env
    assert env.args == tuple(args)


def test_hangup_notice_before_an_answer_is_kept_with_that_answer() -> None:
    """product_ivr_hangup: Asterisk wrote ``HANGUP`` and then the GET VARIABLE's answer;
    the loader keeps both lines, in that order, as the command's answer."""
    from pathlib import Path

    from telephony.agi.replay import load_agi_trace

    traces = Path(__file__).resolve().parents[1] / "fixtures" / "asterisk-traces"
    (session,) = load_agi_trace(traces / "product_ivr_hangup.agi.jsonl")
    assert [s.command for s in session.steps][-2:] == [
        "GET DATA press-1 3000 1",
        "GET VARIABLE CALLERID(num)",
    ]
    assert session.steps[-2].answer == "200 result=-1"
    assert session.steps[-1].answer == "HANGUP\n200 result=1 (5511999990103)"

"""Command helpers over real TCP: the exact line sent and the typed result of each answer form."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from telephony.agi import (
    AgiCommandFailed,
    AgiInvalidCommand,
    AgiSession,
    AgiUsageError,
    DataResult,
    StreamResult,
)

Call = Callable[[AgiSession], Awaitable[Any]]

CASES: list[tuple[str, Call, str, list[str], Any]] = [
    ("answer", lambda s: s.answer(), "ANSWER", ["200 result=0"], None),
    ("noop", lambda s: s.noop(), "NOOP", ["200 result=0"], None),
    ("hangup", lambda s: s.hangup(), "HANGUP", ["200 result=1"], None),
    (
        "stream no key",
        lambda s: s.stream_file("hello-world"),
        'STREAM FILE hello-world ""',
        ["200 result=0 endpos=11360"],
        StreamResult(digit=None, endpos=11360),
    ),
    (
        "stream key 2",
        lambda s: s.stream_file("hello-world", "0123456789"),
        'STREAM FILE hello-world "0123456789"',
        ["200 result=50 endpos=5120"],
        StreamResult(digit="2", endpos=5120),
    ),
    (
        "stream missing file",
        lambda s: s.stream_file("no-such-file"),
        'STREAM FILE no-such-file ""',
        ["200 result=-1 endpos=0"],
        StreamResult(digit=None, endpos=0, failed=True),
    ),
    (
        "get data one key",
        lambda s: s.get_data("press-1", 3000, 1),
        "GET DATA press-1 3000 1",
        ["200 result=2"],
        DataResult(digits="2"),
    ),
    (
        "get data partial then timeout",
        lambda s: s.get_data("press-1", 3000, 4),
        "GET DATA press-1 3000 4",
        ["200 result=12 (timeout)"],
        DataResult(digits="12", timed_out=True),
    ),
    (
        "get data nothing then timeout",
        lambda s: s.get_data("press-1", 3000, 1),
        "GET DATA press-1 3000 1",
        ["200 result= (timeout)"],
        DataResult(digits="", timed_out=True),
    ),
    (
        "get data hash at once",
        lambda s: s.get_data("press-1", 3000, 4),
        "GET DATA press-1 3000 4",
        ["200 result="],
        DataResult(digits=""),
    ),
    (
        "get data prompt missing",
        lambda s: s.get_data("press-1", 3000, 1),
        "GET DATA press-1 3000 1",
        ["200 result=-1"],
        DataResult(digits="", failed=True),
    ),
    (
        "get variable set",
        lambda s: s.get_variable("CALLERID(num)"),
        "GET VARIABLE CALLERID(num)",
        ["200 result=1 (5511999990001)"],
        "5511999990001",
    ),
    (
        "get variable with parentheses and spaces",
        lambda s: s.get_variable("CALLERID(name)"),
        "GET VARIABLE CALLERID(name)",
        ["200 result=1 (Maria (VIP) Souza)"],
        "Maria (VIP) Souza",
    ),
    (
        "get variable empty",
        lambda s: s.get_variable("ROUTE"),
        "GET VARIABLE ROUTE",
        ["200 result=1 ()"],
        "",
    ),
    (
        "get variable unset",
        lambda s: s.get_variable("NOPE"),
        "GET VARIABLE NOPE",
        ["200 result=0"],
        None,
    ),
    (
        "get full variable",
        lambda s: s.get_full_variable("${EPOCH}"),
        "GET FULL VARIABLE ${EPOCH}",
        ["200 result=1 (1795822159)"],
        "1795822159",
    ),
    (
        "get full variable of another channel",
        lambda s: s.get_full_variable("${ROUTE} x", "PJSIP/2001-0001"),
        'GET FULL VARIABLE "${ROUTE} x" PJSIP/2001-0001',
        ["200 result=1 (queue:vendas x)"],
        "queue:vendas x",
    ),
    (
        "set variable as recorded",
        lambda s: s.set_variable("IVR_START", "${EPOCH}"),
        "SET VARIABLE IVR_START ${EPOCH}",
        ["200 result=1"],
        None,
    ),
    (
        "set variable with spaces and quotes",
        lambda s: s.set_variable("NOTE", 'said "hi" twice'),
        'SET VARIABLE NOTE "said \\"hi\\" twice"',
        ["200 result=1"],
        None,
    ),
    (
        "verbose",
        lambda s: s.verbose("ivr done", 1),
        'VERBOSE "ivr done" 1',
        ["200 result=1"],
        None,
    ),
    (
        "say digits",
        lambda s: s.say_digits("1234"),
        'SAY DIGITS 1234 ""',
        ["200 result=0"],
        None,
    ),
    (
        "say digits interrupted by hash",
        lambda s: s.say_digits("1234", "#"),
        'SAY DIGITS 1234 "#"',
        ["200 result=35"],
        "#",
    ),
    (
        "say number",
        lambda s: s.say_number(42),
        'SAY NUMBER 42 ""',
        ["200 result=0"],
        None,
    ),
    (
        "wait for digit pressed",
        lambda s: s.wait_for_digit(3000),
        "WAIT FOR DIGIT 3000",
        ["200 result=49"],
        "1",
    ),
    (
        "wait for digit timeout",
        lambda s: s.wait_for_digit(3000),
        "WAIT FOR DIGIT 3000",
        ["200 result=0"],
        None,
    ),
    (
        "exec",
        lambda s: s.exec("Playback", "hello-world"),
        "EXEC Playback hello-world",
        ["200 result=0"],
        0,
    ),
    (
        "exec with spaced args",
        lambda s: s.exec("Set", "NOTE=a b"),
        'EXEC Set "NOTE=a b"',
        ["200 result=0"],
        0,
    ),
    (
        "100 Trying before the answer",
        lambda s: s.noop(),
        "NOOP",
        ["100 result=0 Trying...", "200 result=0"],
        None,
    ),
]


async def _run_one(agi_server: Any, asterisk: Any, call: Call, answers: list[str]) -> Any:
    outcome: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    async def route(session: AgiSession) -> None:
        try:
            outcome.set_result(await call(session))
        except Exception as exc:
            outcome.set_exception(exc)

    server = await agi_server({"inbound": route})
    async with asterisk(server) as side:
        await side.send_environment()
        sent = await side.command()
        await side.answer(*answers)
        async with asyncio.timeout(5):
            try:
                result = await outcome
            except Exception as exc:
                result = exc
        return sent, result


@pytest.mark.parametrize(("case", "call", "command", "answers", "expected"), CASES)
async def test_helper_sends_the_command_and_types_the_answer(
    agi_server: Any,
    asterisk: Any,
    case: str,
    call: Call,
    command: str,
    answers: list[str],
    expected: Any,
) -> None:
    """Each helper writes the line Asterisk expects and turns each answer form into a value."""
    sent, result = await _run_one(agi_server, asterisk, call, answers)
    assert sent == command, case
    assert result == expected, case


@pytest.mark.parametrize(
    ("call", "answers", "error"),
    [
        (lambda s: s.answer(), ["200 result=-1"], AgiCommandFailed),
        (lambda s: s.wait_for_digit(1000), ["200 result=-1"], AgiCommandFailed),
        (lambda s: s.exec("NoSuchApp"), ["200 result=-2"], AgiCommandFailed),
        (lambda s: s.send("FROB"), ["510 Invalid or unknown command"], AgiInvalidCommand),
        (
            lambda s: s.send("GET DATA"),
            [
                "520-Invalid command syntax.  Proper usage follows:",
                " Usage: GET DATA <file to be streamed> [timeout] [maxdigits]",
                "520 End of proper usage.",
            ],
            AgiUsageError,
        ),
    ],
)
async def test_refused_commands_raise_typed_errors(
    agi_server: Any, asterisk: Any, call: Call, answers: list[str], error: type[Exception]
) -> None:
    """``-1``/``-2`` failures, ``510`` and ``520`` raise their own error types."""
    _, result = await _run_one(agi_server, asterisk, call, answers)
    assert isinstance(result, error)


async def test_session_stays_in_step_after_a_multiline_usage_error(
    agi_server: Any, asterisk: Any
) -> None:
    """After a ``520-`` usage block the next command reads its own answer, not usage text."""
    seen: list[Any] = []

    async def route(session: AgiSession) -> None:
        try:
            await session.send("SAY NUMBER")
        except AgiUsageError as exc:
            seen.append(exc.usage)
        seen.append(await session.get_variable("CALLERID(num)"))

    server = await agi_server({"inbound": route})
    async with asterisk(server) as side:
        await side.send_environment()
        assert await side.command() == "SAY NUMBER"
        await side.answer(
            "520-Invalid command syntax.  Proper usage follows:",
            " Usage: SAY NUMBER <number> <escape digits> [gender]",
            " Says a given number.",
            "520 End of proper usage.",
        )
        assert await side.command() == "GET VARIABLE CALLERID(num)"
        await side.answer("200 result=1 (5511999990001)")
        assert await side.closed()
    assert seen == [
        " Usage: SAY NUMBER <number> <escape digits> [gender]\n Says a given number.",
        "5511999990001",
    ]

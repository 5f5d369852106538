"""One FastAGI session: send a command, read its answer, type the result."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

import structlog

from telephony.agi.environment import AgiEnvironment
from telephony.agi.errors import (
    AgiCommandFailed,
    AgiCommandTimeout,
    AgiHangup,
    AgiInvalidCommand,
    AgiProtocolError,
    AgiUsageError,
)
from telephony.agi.protocol import (
    AgiResponse,
    Quoted,
    decode_line,
    format_command,
    parse_success,
    parse_variable,
)

log = structlog.get_logger("telephony.agi")

_STATUS = re.compile(r"^(?P<code>\d{3})(?P<sep>[ -])(?P<text>.*)$")
_DIGITS = re.compile(r"^[0-9*#A-Da-d]*$")
MAX_USAGE_LINES = 200


@dataclass(frozen=True)
class StreamResult:
    """STREAM FILE: the escape digit pressed (None if none), where playback stopped.

    ``failed`` is True for ``result=-1``: the file does not exist or the channel is gone.
    """

    digit: str | None
    endpos: int
    failed: bool = False


@dataclass(frozen=True)
class DataResult:
    """GET DATA: the digits read; ``timed_out`` when the caller stopped typing before
    ``max_digits``; ``failed`` for ``result=-1`` (prompt file missing, or hangup)."""

    digits: str
    timed_out: bool = False
    failed: bool = False


def _digit(code: int) -> str | None:
    return chr(code) if code > 0 else None


class AgiSession:
    """Commands of one call's FastAGI session; every helper waits for Asterisk's answer.

    A caller hangup raises :class:`AgiHangup`: on the ``HANGUP`` line Asterisk sends (the
    answer of the command in flight is read and dropped, so nothing is left in the stream),
    on a ``511`` answer, and when the socket closes. A route that must go on after the
    hangup with the commands Asterisk allows on a dead channel (GET/SET VARIABLE, VERBOSE,
    EXEC...) sets :attr:`run_after_hangup`; ``511`` still raises then.
    """

    def __init__(
        self,
        env: AgiEnvironment,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        command_timeout: float = 30.0,
    ) -> None:
        self.env = env
        self.command_timeout = command_timeout
        self.hung_up = False
        self.run_after_hangup = False
        self._reader = reader
        self._writer = writer
        self._lock = asyncio.Lock()
        self._unusable: str | None = None
        self._closed = False

    # ---- generic -------------------------------------------------------------------
    async def send(
        self, verb: str, *args: str | int, answer_timeout: float | None = None
    ) -> AgiResponse:
        """Send one command and return its ``200`` answer; raise a typed error otherwise."""
        line = format_command(verb, *args)
        wait = self.command_timeout if answer_timeout is None else answer_timeout
        async with self._lock:
            if self._closed:
                raise AgiHangup(f"the connection is closed; {line!r} not sent")
            if self._unusable is not None:
                raise AgiProtocolError(f"session unusable: {self._unusable}")
            if self.hung_up and not self.run_after_hangup:
                raise AgiHangup(f"the caller hung up; {line!r} not sent")
            log.debug("agi_command", command=line)
            try:
                self._writer.write(line.encode() + b"\n")
                await self._writer.drain()
            except (ConnectionError, RuntimeError) as exc:
                self._closed = True
                raise AgiHangup(f"connection lost while sending {line!r}: {exc}") from exc
            try:
                async with asyncio.timeout(wait):
                    response = await self._read_answer(line)
            except TimeoutError:
                self._unusable = f"no answer to {line!r}"
                raise AgiCommandTimeout(line, wait) from None
            except AgiProtocolError as exc:
                self._unusable = str(exc)
                raise
            if self.hung_up and not self.run_after_hangup:
                raise AgiHangup(f"the caller hung up during {line!r}")
            return response

    async def _readline(self) -> str:
        try:
            data = await self._reader.readline()
        except (ValueError, asyncio.LimitOverrunError):
            raise AgiProtocolError("answer line too long") from None
        except ConnectionError as exc:
            self._closed = True
            raise AgiHangup(f"connection lost: {exc}") from exc
        if not data:
            self._closed = True
            self.hung_up = True
            raise AgiHangup("asterisk closed the connection")
        return decode_line(data)

    async def _read_answer(self, command: str) -> AgiResponse:
        while True:
            line = await self._readline()
            if line == "HANGUP":
                if not self.hung_up:
                    log.info("agi_hangup_signalled")
                self.hung_up = True
                continue
            status = _STATUS.match(line)
            if status is None:
                raise AgiProtocolError(f"not an AGI answer to {command!r}: {line[:80]!r}")
            code = int(status["code"])
            if code == 100:  # "100 result=0 Trying..." precedes the real answer
                continue
            if code == 200:
                response = parse_success(line)
                if response is None:
                    raise AgiProtocolError(f"malformed 200 answer to {command!r}: {line[:80]!r}")
                log.debug("agi_answer", answer=line)
                return response
            if code == 510:
                raise AgiInvalidCommand(command, status["text"])
            if code == 511:
                self.hung_up = True
                raise AgiHangup(f"{command!r} refused: {status['text']}")
            if code == 520:
                raise AgiUsageError(command, await self._usage(status["sep"], status["text"]))
            raise AgiProtocolError(f"unexpected answer code {code} to {command!r}")

    async def _usage(self, sep: str, first: str) -> str:
        if sep == " ":
            return first
        lines: list[str] = []
        for _ in range(MAX_USAGE_LINES):
            line = await self._readline()
            if line.startswith("520 "):
                return "\n".join(lines)
            lines.append(line)
        raise AgiProtocolError("520 usage text does not end")

    def _failed(self, command: str, response: AgiResponse) -> AgiCommandFailed:
        return AgiCommandFailed(command, f"result={response.result}")

    def _number(self, command: str, response: AgiResponse) -> int:
        number = response.number
        if number is None:
            raise AgiProtocolError(f"non-numeric result to {command!r}: {response.line!r}")
        return number

    # ---- helpers -------------------------------------------------------------------
    async def answer(self) -> None:
        """ANSWER the channel."""
        response = await self.send("ANSWER")
        if self._number("ANSWER", response) < 0:
            raise self._failed("ANSWER", response)

    async def hangup(self, channel: str | None = None) -> None:
        """HANGUP this channel (or ``channel``)."""
        args = (channel,) if channel else ()
        response = await self.send("HANGUP", *args)
        if self._number("HANGUP", response) < 0:
            raise self._failed("HANGUP", response)

    async def stream_file(
        self, file: str, escape_digits: str = "", *, answer_timeout: float | None = None
    ) -> StreamResult:
        """STREAM FILE: play ``file``, stop on one of ``escape_digits``."""
        response = await self.send(
            "STREAM FILE", file, Quoted(escape_digits), answer_timeout=answer_timeout
        )
        code = self._number("STREAM FILE", response)
        endpos = response.endpos or 0
        if code < 0:
            return StreamResult(digit=None, endpos=endpos, failed=True)
        return StreamResult(digit=_digit(code), endpos=endpos)

    async def get_data(self, file: str, timeout_ms: int, max_digits: int) -> DataResult:
        """GET DATA: play ``file`` and read up to ``max_digits`` (``#`` ends early)."""
        wait = self.command_timeout + max(timeout_ms, 0) / 1000 * max(max_digits, 1)
        response = await self.send("GET DATA", file, timeout_ms, max_digits, answer_timeout=wait)
        if response.result == "-1":
            return DataResult(digits="", failed=True)
        if not _DIGITS.match(response.result):
            raise AgiProtocolError(f"GET DATA answered non-digits: {response.line!r}")
        return DataResult(digits=response.result, timed_out=response.data == "timeout")

    async def wait_for_digit(self, timeout_ms: int) -> str | None:
        """WAIT FOR DIGIT: the digit pressed, None on timeout (``-1`` waits forever)."""
        wait = None if timeout_ms < 0 else self.command_timeout + timeout_ms / 1000
        command = "WAIT FOR DIGIT"
        response = await self.send(command, timeout_ms, answer_timeout=wait)
        code = self._number(command, response)
        if code < 0:
            raise self._failed(command, response)
        return _digit(code)

    async def say_digits(self, digits: str, escape_digits: str = "") -> str | None:
        """SAY DIGITS: the escape digit pressed, or None."""
        response = await self.send("SAY DIGITS", digits, Quoted(escape_digits))
        code = self._number("SAY DIGITS", response)
        if code < 0:
            raise self._failed("SAY DIGITS", response)
        return _digit(code)

    async def say_number(self, number: int, escape_digits: str = "") -> str | None:
        """SAY NUMBER: the escape digit pressed, or None."""
        response = await self.send("SAY NUMBER", number, Quoted(escape_digits))
        code = self._number("SAY NUMBER", response)
        if code < 0:
            raise self._failed("SAY NUMBER", response)
        return _digit(code)

    async def set_variable(self, name: str, value: str | int) -> None:
        """SET VARIABLE (Asterisk stores ``value`` as is: ``${...}`` is not expanded)."""
        await self.send("SET VARIABLE", name, value)

    async def get_variable(self, name: str) -> str | None:
        """GET VARIABLE (a variable or a function such as ``CALLERID(num)``); None if unset."""
        response = await self.send("GET VARIABLE", name)
        return self._value("GET VARIABLE", response)

    async def get_full_variable(self, expression: str, channel: str | None = None) -> str | None:
        """GET FULL VARIABLE: ``expression`` with ``${...}`` expanded on this (or ``channel``)."""
        args = (expression, channel) if channel else (expression,)
        response = await self.send("GET FULL VARIABLE", *args)
        return self._value("GET FULL VARIABLE", response)

    def _value(self, command: str, response: AgiResponse) -> str | None:
        if response.result == "0":
            return None
        value = parse_variable(response.line)
        if response.result != "1" or value is None:
            raise AgiProtocolError(f"malformed {command} answer: {response.line!r}")
        return value

    async def exec(self, app: str, args: str = "", *, answer_timeout: float | None = None) -> int:
        """EXEC a dialplan application; its return code (``-2``: no such application)."""
        response = await self.send(
            "EXEC", app, *((args,) if args else ()), answer_timeout=answer_timeout
        )
        code = self._number("EXEC", response)
        if code == -2:
            raise AgiCommandFailed(f"EXEC {app}", "no such application")
        return code

    async def verbose(self, message: str, level: int = 1) -> None:
        """VERBOSE: write ``message`` to the Asterisk console at ``level``."""
        await self.send("VERBOSE", Quoted(message), level)

    async def noop(self) -> None:
        """NOOP: a round trip that does nothing (checks the session is alive)."""
        await self.send("NOOP")

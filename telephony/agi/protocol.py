"""FastAGI wire format: command lines out, ``200 result=...`` lines in.

Quoting follows Asterisk's ``parse_args`` (res_agi.c): words split on spaces and tabs, a
double quote opens or closes a quoted word, a backslash makes the next character literal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# res_agi reads a command with fgets into a 2048-byte buffer: longer lines would be cut
# in two commands.
MAX_COMMAND_BYTES = 2046
_NEEDS_QUOTES = re.compile(r'[\s"\\]')
_FORBIDDEN = re.compile(r"[\r\n\x00]")
_RESULT = re.compile(r"^result=(?P<result>\S*)(?P<rest>.*)$")
_ENDPOS = re.compile(r"\s*endpos=(?P<endpos>-?\d+)$")


def decode_line(data: bytes) -> str:
    """One line from Asterisk as text, without its line end.

    Asterisk passes caller names and variables through as bytes; SIP says UTF-8 but some
    carriers send Latin-1. A line that is not UTF-8 is read as Latin-1 (every byte maps),
    so ``Jo\xe3o`` stays João instead of being refused or mangled.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text.rstrip("\r\n")


class Quoted(str):
    """An argument always sent between double quotes (escape digits, VERBOSE text)."""

    __slots__ = ()


def quote_argument(value: str | int) -> str:
    """One argument as Asterisk must read it back; refuses line breaks and NUL."""
    text = str(value)
    if _FORBIDDEN.search(text):
        raise ValueError(f"an AGI argument cannot hold a line break or NUL: {text!r}")
    try:
        text.encode()
    except UnicodeEncodeError:
        raise ValueError(f"an AGI argument must be valid text (lone surrogate): {text!r}") from None
    if isinstance(value, Quoted) or not text or _NEEDS_QUOTES.search(text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def format_command(verb: str, *args: str | int) -> str:
    """One command line: ``("STREAM FILE", "hello-world", Quoted(""))`` gives
    ``STREAM FILE hello-world ""``."""
    line = " ".join([verb, *(quote_argument(a) for a in args)])
    if len(line.encode()) > MAX_COMMAND_BYTES:
        raise ValueError(f"AGI command longer than {MAX_COMMAND_BYTES} bytes: {line[:60]!r}...")
    return line


@dataclass(frozen=True)
class AgiResponse:
    """A ``200`` answer: ``result``, the text in parentheses (``data``), ``endpos``."""

    result: str
    data: str | None = None
    endpos: int | None = None
    line: str = ""

    @property
    def number(self) -> int | None:
        """``result`` as an int, None when it is not a number (GET DATA digits may be '#')."""
        try:
            return int(self.result)
        except ValueError:
            return None


def parse_success(line: str) -> AgiResponse | None:
    """Parse ``200 result=<r>[ (<data>)][ endpos=<n>]``; None if the line is not that."""
    if not line.startswith("200 "):
        return None
    match = _RESULT.match(line[4:])
    if match is None:
        return None
    rest = match["rest"]
    endpos: int | None = None
    pos = _ENDPOS.search(rest)
    if pos is not None:
        endpos = int(pos["endpos"])
        rest = rest[: pos.start()]
    rest = rest.strip()
    data: str | None = None
    if rest.startswith("(") and rest.endswith(")"):
        data = rest[1:-1]
    elif rest:
        return None
    return AgiResponse(result=match["result"], data=data, endpos=endpos, line=line)


def parse_variable(line: str) -> str | None:
    """The value of ``200 result=1 (<value>)`` taken verbatim (it may hold ``)``, spaces...)."""
    prefix = "200 result=1 ("
    if line.startswith(prefix) and line.endswith(")"):
        return line[len(prefix) : -1]
    return None

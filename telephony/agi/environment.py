"""The ``agi_*`` environment Asterisk sends at the start of a FastAGI session."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import parse_qsl

from telephony.agi.errors import AgiProtocolError
from telephony.agi.protocol import decode_line

MAX_ENVIRONMENT_LINES = 256
_LINE = re.compile(r"^agi_(?P<key>[a-z0-9_]+):(?P<value>.*)$")
_ARG = re.compile(r"^arg_(?P<n>[1-9][0-9]*)$")
_UNKNOWN = frozenset({"", "unknown"})
_REQUIRED = ("channel", "uniqueid", "request")
_KNOWN = frozenset(
    {
        "network",
        "network_script",
        "request",
        "channel",
        "language",
        "type",
        "uniqueid",
        "version",
        "callerid",
        "calleridname",
        "callingpres",
        "callingani2",
        "callington",
        "callingtns",
        "dnid",
        "rdnis",
        "context",
        "extension",
        "priority",
        "enhanced",
        "accountcode",
        "threadid",
    }
)


def _empty() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class AgiEnvironment:
    """One session's environment, typed.

    ``callerid``, ``calleridname``, ``dnid`` and ``rdnis`` are None where Asterisk says
    ``unknown``. ``route`` is the script path of ``agi://host:port/<route>?<query>`` and
    ``query`` its arguments; ``args`` are ``agi_arg_1..N`` (``AGI(url,arg1,arg2)``).
    """

    channel: str
    uniqueid: str
    request: str
    network: bool = True
    network_script: str = ""
    language: str = ""
    channel_type: str = ""
    version: str = ""
    callerid: str | None = None
    calleridname: str | None = None
    callingpres: int = 0
    callingani2: int = 0
    callington: int = 0
    callingtns: int = 0
    dnid: str | None = None
    rdnis: str | None = None
    context: str = ""
    extension: str = ""
    priority: int = 0
    enhanced: bool = False
    accountcode: str = ""
    threadid: str = ""
    args: tuple[str, ...] = ()
    route: str = ""
    query: Mapping[str, str] = field(default_factory=_empty)
    extra: Mapping[str, str] = field(default_factory=_empty)

    def lines(self) -> list[str]:
        """The environment as Asterisk writes it (same order; without the blank line).

        ``parse_environment(env.lines()) == env``; for a recorded session the lines come out
        byte for byte. Used to play Asterisk's side (tests, the twin).
        """
        out = ["agi_network: yes"] if self.network else []
        if self.network_script:
            out.append(f"agi_network_script: {self.network_script}")
        fields: list[tuple[str, object]] = [
            ("request", self.request),
            ("channel", self.channel),
            ("language", self.language),
            ("type", self.channel_type),
            ("uniqueid", self.uniqueid),
            ("version", self.version),
            ("callerid", self.callerid or "unknown"),
            ("calleridname", self.calleridname or "unknown"),
            ("callingpres", self.callingpres),
            ("callingani2", self.callingani2),
            ("callington", self.callington),
            ("callingtns", self.callingtns),
            ("dnid", self.dnid or "unknown"),
            ("rdnis", self.rdnis or "unknown"),
            ("context", self.context),
            ("extension", self.extension),
            ("priority", self.priority),
            ("enhanced", "1.0" if self.enhanced else "0.0"),
            ("accountcode", self.accountcode),
            ("threadid", self.threadid),
            *self.extra.items(),
            *((f"arg_{n}", value) for n, value in enumerate(self.args, start=1)),
        ]
        return out + [f"agi_{key}: {value}" for key, value in fields]


def split_script(network_script: str) -> tuple[str, dict[str, str]]:
    """``"ivr/inbound?lang=pt&x=1"`` → ``("ivr/inbound", {"lang": "pt", "x": "1"})``."""
    path, _, query = network_script.partition("?")
    return path.strip("/"), dict(parse_qsl(query, keep_blank_values=True))


def _int(raw: dict[str, str], key: str) -> int:
    value = raw.get(key, "0").strip() or "0"
    try:
        return int(value)
    except ValueError:
        raise AgiProtocolError(f"agi_{key} is not a number: {value!r}") from None


def _known(value: str | None) -> str | None:
    return None if value is None or value.strip() in _UNKNOWN else value


def parse_environment(lines: list[str]) -> AgiEnvironment:
    """Build the environment from its lines (without the final blank line).

    Raises :class:`AgiProtocolError` on a line that is not ``agi_<name>: <value>`` or when
    ``agi_channel``, ``agi_uniqueid`` or ``agi_request`` is missing.
    """
    raw: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        match = _LINE.match(line)
        if match is None:
            raise AgiProtocolError(f"environment line {number} is not agi_<name>: {line[:80]!r}")
        value = match["value"]
        raw[match["key"]] = value[1:] if value.startswith(" ") else value
    missing = [f"agi_{key}" for key in _REQUIRED if not raw.get(key)]
    if missing:
        raise AgiProtocolError(f"environment lacks {', '.join(missing)}")
    args: dict[int, str] = {}
    extra: dict[str, str] = {}
    for key, value in raw.items():
        arg = _ARG.match(key)
        if arg is not None:
            args[int(arg["n"])] = value
        elif key not in _KNOWN:
            extra[key] = value
    script = raw.get("network_script", "")
    route, query = split_script(script)
    return AgiEnvironment(
        channel=raw["channel"],
        uniqueid=raw["uniqueid"],
        request=raw["request"],
        network=raw.get("network", "yes") == "yes",
        network_script=script,
        language=raw.get("language", ""),
        channel_type=raw.get("type", ""),
        version=raw.get("version", ""),
        callerid=_known(raw.get("callerid")),
        calleridname=_known(raw.get("calleridname")),
        callingpres=_int(raw, "callingpres"),
        callingani2=_int(raw, "callingani2"),
        callington=_int(raw, "callington"),
        callingtns=_int(raw, "callingtns"),
        dnid=_known(raw.get("dnid")),
        rdnis=_known(raw.get("rdnis")),
        context=raw.get("context", ""),
        extension=raw.get("extension", ""),
        priority=_int(raw, "priority"),
        enhanced=raw.get("enhanced", "0.0") not in ("0", "0.0", ""),
        accountcode=raw.get("accountcode", ""),
        threadid=raw.get("threadid", ""),
        args=tuple(args[n] for n in sorted(args)),
        route=route,
        query=MappingProxyType(query),
        extra=MappingProxyType(extra),
    )


async def read_environment(reader: asyncio.StreamReader) -> AgiEnvironment:
    """Read the environment lines up to the blank line and parse them.

    A line that is not UTF-8 is read as Latin-1 (a caller name from a trunk in Latin-1 must
    not lose the call); anything that is not an environment line is an error.
    """
    lines: list[str] = []
    while True:
        try:
            data = await reader.readline()
        except (ValueError, asyncio.LimitOverrunError):
            raise AgiProtocolError("environment line too long") from None
        if not data:
            raise AgiProtocolError(
                f"connection closed after {len(lines)} environment lines, before the blank line"
            )
        line = decode_line(data)
        if not line:
            return parse_environment(lines)
        if len(lines) >= MAX_ENVIRONMENT_LINES:
            raise AgiProtocolError(f"more than {MAX_ENVIRONMENT_LINES} environment lines")
        lines.append(line)

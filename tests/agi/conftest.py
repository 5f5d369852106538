"""Fixtures for the FastAGI tests: a real server on an ephemeral port and Asterisk's side."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import structlog
import structlog.testing

from telephony.agi import AgiServer, Route
from telephony.agi.replay import load_agi_trace

TRACES = Path(__file__).resolve().parents[1] / "fixtures" / "asterisk-traces"
STEP = 5.0


@functools.cache
def _recorded_lines() -> tuple[str, ...]:
    return load_agi_trace(TRACES / "inbound_routed.agi.jsonl")[0].environment


def recorded_environment(route: str = "inbound", uniqueid: str = "1795822159.1") -> list[str]:
    """The real environment of inbound_routed, with its script and uniqueid replaced."""
    lines = []
    for line in _recorded_lines():
        if line.startswith("agi_network_script: "):
            line = f"agi_network_script: {route}"
        elif line.startswith("agi_request: "):
            line = f"agi_request: agi://127.0.0.1:4573/{route}"
        elif line.startswith("agi_uniqueid: "):
            line = f"agi_uniqueid: {uniqueid}"
        lines.append(line)
    return lines


class AsteriskSide:
    """Asterisk's end of one FastAGI connection, driven by the test."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def send(self, data: str | bytes) -> None:
        """Write raw text or bytes."""
        self.writer.write(data.encode() if isinstance(data, str) else data)
        await self.writer.drain()

    async def send_environment(self, route: str = "inbound", uniqueid: str = "1.1") -> None:
        """Send a real recorded environment for ``route`` and the blank line."""
        lines = recorded_environment(route, uniqueid)
        await self.send("".join(f"{line}\n" for line in lines) + "\n")

    async def command(self) -> str:
        """The next command line the server sends ("" when it closed the socket)."""
        async with asyncio.timeout(STEP):
            line = await self.reader.readline()
        return line.decode().rstrip("\n")

    async def answer(self, *lines: str) -> None:
        """Answer with one or more lines."""
        await self.send("".join(f"{line}\n" for line in lines))

    async def closed(self) -> bool:
        """True once the server closed the connection (waits up to a few seconds)."""
        async with asyncio.timeout(STEP):
            rest = await self.reader.read()
        return rest == b""

    async def close(self) -> None:
        """Close our end."""
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except ConnectionError:
            pass


ServerFactory = Callable[..., Awaitable[AgiServer]]


@pytest.fixture
async def agi_server() -> AsyncIterator[ServerFactory]:
    """Start ``AgiServer(routes, port=0, ...)``; every server started is stopped after."""
    servers: list[AgiServer] = []

    async def start(routes: Mapping[str, Route] | None = None, **options: float) -> AgiServer:
        server = AgiServer(routes, host="127.0.0.1", port=0, **options)  # type: ignore[arg-type]
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop()


@asynccontextmanager
async def connect(server: AgiServer) -> AsyncIterator[AsteriskSide]:
    """A connection to ``server`` playing Asterisk."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    side = AsteriskSide(reader, writer)
    try:
        yield side
    finally:
        await side.close()


@pytest.fixture
def asterisk() -> Any:
    """``async with asterisk(server) as side:`` opens a connection playing Asterisk."""
    return connect


class CapturedLogs:
    """structlog events written during a test."""

    def __init__(self, capture: structlog.testing.LogCapture) -> None:
        self.entries = capture.entries

    def named(self, name: str) -> list[dict[str, Any]]:
        """The captured events called ``name``."""
        return [e for e in self.entries if e["event"] == name]


@pytest.fixture
def log_events() -> Iterator[CapturedLogs]:
    """Every structlog event written during the test, with the call ids bound per session."""
    capture = structlog.testing.LogCapture()
    old = structlog.get_config()
    structlog.configure(
        processors=[structlog.contextvars.merge_contextvars, capture],
        wrapper_class=structlog.make_filtering_bound_logger(0),
        cache_logger_on_first_use=False,
    )
    try:
        yield CapturedLogs(capture)
    finally:
        structlog.configure(**old)


@pytest.fixture
def environment() -> Callable[..., list[str]]:
    """``environment(route, uniqueid)``: recorded environment lines for another route."""
    return recorded_environment

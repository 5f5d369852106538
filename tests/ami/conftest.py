"""Fixtures for the AMI tests: recorded traces, and a scripted AMI peer on real TCP."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

TRACES = Path(__file__).resolve().parent.parent / "fixtures" / "asterisk-traces"
BANNER = b"Asterisk Call Manager/11.0.0\r\n"
CHALLENGE = "840498175"


@dataclass
class Trace:
    """One recorded AMI session: each socket read/write as it crossed the wire."""

    name: str
    records: list[dict[str, Any]]

    @property
    def recv_chunks(self) -> list[tuple[float, bytes]]:
        """``(t, bytes)`` of every read, split exactly as recorded."""
        return [(r["t"], r["data"].encode()) for r in self.records if r["dir"] == "recv"]

    def frames(self) -> list[str]:
        """Every message Asterisk sent (banner excluded), as raw text without the blank line."""
        text = "".join(r["data"] for r in self.records if r["dir"] == "recv")
        text = text.removeprefix(BANNER.decode())
        return [f for f in text.split("\r\n\r\n") if f]

    def sends(self) -> list[dict[str, str]]:
        """The actions the recording client sent."""
        out = []
        for r in self.records:
            if r["dir"] == "send":
                out.append(_fields(r["data"]))
        return out

    def answers(self) -> dict[str, list[list[str]]]:
        """Per action name, the frames that answered each recorded send (same ActionID)."""
        frames = self.frames()
        out: dict[str, list[list[str]]] = {}
        for action in self.sends():
            aid = action.get("ActionID", "")
            mine = [f for f in frames if f"\r\nActionID: {aid}\r\n" in f + "\r\n"]
            out.setdefault(action["Action"], []).append(
                [f.replace(f"ActionID: {aid}", "ActionID: {action_id}") for f in mine]
            )
        return out

    def chunks_until(self, marker: str) -> list[bytes]:
        """Recorded reads (banner excluded) up to and including the one holding ``marker``."""
        out = []
        for _, data in self.recv_chunks:
            if data == BANNER:
                continue
            out.append(data)
            if marker.encode() in data:
                break
        return out


def _fields(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in text.strip("\r\n").split("\r\n"):
        key, _, value = line.partition(": ")
        fields[key] = value
    return fields


def load_trace(name: str) -> Trace:
    """Load ``<name>.ami.jsonl`` from the shared fixtures."""
    path = TRACES / f"{name}.ami.jsonl"
    return Trace(name, [json.loads(line) for line in path.read_text().splitlines() if line])


@pytest.fixture
def trace() -> Callable[[str], Trace]:
    """``trace("inbound_routed")`` loads a recorded AMI trace."""
    return load_trace


@dataclass
class ScriptedAmi:
    """A small AMI peer on 127.0.0.1: banner, login check, recorded answers, raw pushes.

    ``answers`` maps an action name to lists of frames (``{action_id}`` is filled in); each send
    of that action uses the next list (the last one repeats). Actions in ``silent`` never get an
    answer. ``channels`` is what ``CoreShowChannels`` reports (frames, as recorded).
    """

    secret: str = "acdsecret"
    answers: dict[str, list[list[str]]] = field(default_factory=dict)
    silent: set[str] = field(default_factory=set)
    login_delay: float = 0.0
    channels: list[str] = field(default_factory=list)
    connections: int = 0
    received: list[dict[str, str]] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None
    _writers: list[asyncio.StreamWriter] = field(default_factory=list)
    _used: dict[str, int] = field(default_factory=dict)
    logged_in: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def close(self) -> None:
        await self.drop()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def drop(self) -> None:
        """Close every client connection (as a crashing or restarting Asterisk would)."""
        writers, self._writers = self._writers, []
        for w in writers:
            w.close()
        for w in writers:
            try:
                await w.wait_closed()
            except (ConnectionError, OSError):
                pass
        self.logged_in.clear()

    async def push(self, data: bytes) -> None:
        """Write raw bytes to the connected client(s)."""
        for w in self._writers:
            w.write(data)
            await w.drain()

    def count(self, action: str) -> int:
        """How many times the client sent ``action``."""
        return sum(1 for a in self.received if a.get("Action") == action)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.append(writer)
        writer.write(BANNER)
        buf = b""
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    return
                buf += data
                while b"\r\n\r\n" in buf:
                    raw, buf = buf.split(b"\r\n\r\n", 1)
                    action = _fields(raw.decode())
                    self.received.append(action)
                    await self._answer(action, writer)
        except (ConnectionError, OSError):
            return
        finally:
            if writer in self._writers:
                self._writers.remove(writer)
            writer.close()

    async def _answer(self, action: dict[str, str], writer: asyncio.StreamWriter) -> None:
        name = action.get("Action", "")
        aid = action.get("ActionID", "")
        if name in self.silent:
            return
        if name == "Challenge":
            frames = [f"Response: Success\r\nActionID: {aid}\r\nChallenge: {CHALLENGE}"]
        elif name == "Login":
            await asyncio.sleep(self.login_delay)
            if "Key" in action:
                good = action["Key"] == hashlib.md5((CHALLENGE + self.secret).encode()).hexdigest()
            else:
                good = action.get("Secret") == self.secret
            if not good:
                frames = [f"Response: Error\r\nActionID: {aid}\r\nMessage: Authentication failed"]
            else:
                frames = [
                    f"Response: Success\r\nActionID: {aid}\r\nMessage: Authentication accepted",
                    "Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted",
                ]
                self.logged_in.set()
        elif name == "CoreShowChannels":
            frames = [
                f"Response: Success\r\nActionID: {aid}\r\nEventList: start\r\n"
                "Message: Channels will follow",
                *(_with_action_id(f, aid) for f in self.channels),
                f"Event: CoreShowChannelsComplete\r\nActionID: {aid}\r\nEventList: Complete\r\n"
                f"ListItems: {len(self.channels)}",
            ]
        elif name == "Logoff":
            frames = [f"Response: Goodbye\r\nActionID: {aid}\r\nMessage: Thanks for all the fish."]
        elif name in self.answers:
            options = self.answers[name]
            used = self._used.get(name, 0)
            self._used[name] = used + 1
            chosen = options[min(used, len(options) - 1)]
            frames = [f.replace("{action_id}", aid) for f in chosen]
        elif name == "Ping":
            frames = [f"Response: Success\r\nActionID: {aid}\r\nPing: Pong"]
        else:
            frames = [
                f"Response: Error\r\nActionID: {aid}\r\nMessage: Invalid/unknown command: {name}"
            ]
        writer.write("".join(f + "\r\n\r\n" for f in frames).encode())
        await writer.drain()


def _with_action_id(frame: str, aid: str) -> str:
    lines = [ln for ln in frame.split("\r\n") if not ln.startswith("ActionID:")]
    return "\r\n".join([lines[0], f"ActionID: {aid}", *lines[1:]])


@pytest.fixture
async def scripted_ami() -> AsyncIterator[Callable[..., Any]]:
    """A factory of started :class:`ScriptedAmi` peers (closed after the test)."""
    peers: list[ScriptedAmi] = []

    async def make(**kwargs: Any) -> ScriptedAmi:
        peer = ScriptedAmi(**kwargs)
        await peer.start()
        peers.append(peer)
        return peer

    yield make
    for peer in peers:
        await peer.close()


@pytest.fixture
def recorded_channels() -> Iterator[Callable[[str], list[str]]]:
    """The ``CoreShowChannel`` frames a trace recorded (what Asterisk reported)."""

    def channels(name: str) -> list[str]:
        return [f for f in load_trace(name).frames() if f.startswith("Event: CoreShowChannel\r\n")]

    yield channels

"""Drives a twin over real TCP the way a recorded trace drove a real Asterisk."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field

from telephony.twin import AmiUser, Twin, TwinConfig
from tests.twin.traces import TRACES, AgiSession, AmiTrace, Msg, load_agi, split_messages

TIME_SCALE = 0.2  # waits 5x shorter; long enough to stay in order on a busy machine


@dataclass
class ScriptedAgiServer:
    """A FastAGI server that replays the server side of recorded sessions."""

    scripts: list[AgiSession]
    seen: list[AgiSession] = field(default_factory=list)
    server: asyncio.Server | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._session, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    def _script_for(self, env: list[tuple[str, str]]) -> AgiSession:
        caller = dict(env).get("agi_callerid")
        for script in self.scripts:
            if dict(script.env).get("agi_callerid") == caller:
                self.scripts.remove(script)
                return script
        return self.scripts.pop(0)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen = AgiSession()
        self.seen.append(seen)
        while True:
            line = (await reader.readline()).decode()
            if line in ("\n", ""):
                break
            key, _, value = line.rstrip("\n").partition(": ")
            seen.env.append((key, value))
        script = self._script_for(seen.env)
        for command, _ in script.exchanges:
            writer.write((command + "\n").encode())
            answer = (await reader.readline()).decode().rstrip("\n")
            seen.exchanges.append((command, answer))
        writer.close()
        await writer.wait_closed()


async def _read_all(reader: asyncio.StreamReader, sink: list[Msg], banner: list[str]) -> None:
    buffer = ""
    while True:
        data = await reader.read(65536)
        if not data:
            return
        buffer += data.decode()
        if not banner and "\r\n" in buffer:
            first, buffer = buffer.split("\r\n", 1)
            banner.append(first)
        messages, buffer = split_messages(buffer)
        sink.extend(messages)


_SEQ = re.compile(r"-([0-9a-f]{8})(?=;[12])")


def _sequences(messages: list[Msg]) -> list[str]:
    found = {m.group(1) for msg in messages for _, v in msg for m in _SEQ.finditer(v)}
    return sorted(found, key=lambda h: int(h, 16))


def _rename(data: str, trace_seqs: list[str], twin_seqs: list[str]) -> str:
    """Channel names in an action: the trace's n-th Local channel is the twin's n-th."""
    table = dict(zip(trace_seqs, twin_seqs, strict=False))
    return _SEQ.sub(lambda m: "-" + table.get(m.group(1), m.group(1)), data)


async def _wait_count(sink: list[Msg], count: int, patience: float) -> None:
    """Wait until ``count`` messages arrived (or ``patience`` ran out)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience
    while len(sink) < count and loop.time() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.002)


@dataclass
class Replay:
    """What the twin answered when driven with a trace's actions."""

    banner: str
    received: list[Msg]
    agi: list[AgiSession]
    sent_at: list[int] = field(default_factory=list)  # messages received when each send left


_REPLAYS: dict[str, Replay] = {}


async def replayed(trace: AmiTrace) -> Replay:
    """The replay of a trace, run once per test session and shared by the checks."""
    if trace.name not in _REPLAYS:
        _REPLAYS[trace.name] = await replay(trace)
    return _REPLAYS[trace.name]


async def replay(trace: AmiTrace, settle: float = 3.0) -> Replay:
    """Start a twin on the lab dialplan, send the trace's actions, collect the answers."""
    agi = ScriptedAgiServer(load_agi(trace.name))
    agi_port = await agi.start()
    twin = Twin(
        TwinConfig(
            users={"acd": AmiUser("acdsecret")},
            dialplans=[TRACES / "lab-extensions.conf"],
            agi_address=("127.0.0.1", agi_port),
            time_scale=TIME_SCALE,
            login_failure_delay=0.05,
        )
    )
    port = await twin.start()
    received: list[Msg] = []
    banner: list[str] = []
    sent_at: list[int] = []
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        reading = asyncio.create_task(_read_all(reader, received, banner))
        trace_seqs = _sequences(trace.received)
        for step in trace.sends:
            await _wait_count(received, step.expected_before, settle)
            sent_at.append(len(received))
            data = _rename(step.data, trace_seqs, _sequences(received))
            try:
                writer.write(data.encode())
                await writer.drain()
            except ConnectionError:
                break
        await _wait_count(received, len(trace.received), settle)
        try:
            await asyncio.wait_for(reading, settle)
        except TimeoutError:
            reading.cancel()
        writer.close()
    finally:
        await twin.stop()
        await agi.stop()
    return Replay(banner[0] if banner else "", received, agi.seen, sent_at)

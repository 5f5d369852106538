"""Play Asterisk's side of recorded FastAGI sessions against a server.

A ``*.agi.jsonl`` trace holds, per session, the ``agi_*`` lines Asterisk sent, then each
command the server sent and the answer Asterisk gave. :func:`replay_session` connects to a
FastAGI server, sends the environment, and for each recorded step reads the server's
command and answers with the recorded answer. Used by the tests and by anyone checking a
route against a real Asterisk's traffic.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class RecordedStep:
    """One command the server sent and the answer Asterisk gave.

    The answer is every line Asterisk sent for that command, joined by ``\\n``: a
    ``HANGUP`` notice that crossed the wire before or after the ``200 result=...`` line is
    part of it (``"HANGUP\\n200 result=1 (5511999990103)"``).
    """

    command: str
    answer: str


@dataclass(frozen=True)
class RecordedSession:
    """One FastAGI session of a trace."""

    environment: tuple[str, ...]
    steps: tuple[RecordedStep, ...]

    def env_value(self, key: str) -> str:
        """The value of ``agi_<key>`` in the recorded environment ("" when absent)."""
        prefix = f"agi_{key}: "
        for line in self.environment:
            if line.startswith(prefix):
                return line[len(prefix) :]
        return ""


@dataclass
class ReplayResult:
    """What the server actually sent, step by step, and whether it closed at the end."""

    commands: list[str] = field(default_factory=list)
    closed_by_server: bool = False


def load_agi_trace(path: Path) -> list[RecordedSession]:
    """Split a trace into sessions (a session starts at ``agi_network: yes``)."""
    sessions: list[RecordedSession] = []
    env: list[str] = []
    steps: list[RecordedStep] = []
    pending: str | None = None
    held: str | None = None
    in_env = False
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        if not raw.strip():
            continue
        record = json.loads(raw)
        data = str(record["data"]).removesuffix("\n")
        if record["dir"] == "recv" and data.startswith("agi_network:"):
            if env:
                sessions.append(RecordedSession(tuple(env), tuple(steps)))
            env, steps, pending, held, in_env = [data], [], None, None, True
        elif record["dir"] == "recv" and in_env:
            if data:
                env.append(data)
            else:
                in_env = False
        elif record["dir"] == "send":
            pending = data
        elif record["dir"] == "recv" and data == "HANGUP" and pending is not None:
            held = data  # Asterisk's hang-up notice crossed the wire before the answer
        elif record["dir"] == "recv" and data == "HANGUP" and steps:
            last = steps.pop()  # the notice followed the last answer
            steps.append(RecordedStep(last.command, f"{last.answer}\n{data}"))
        elif record["dir"] == "recv" and pending is not None:
            steps.append(RecordedStep(pending, f"{held}\n{data}" if held else data))
            pending = held = None
        else:
            raise ValueError(f"{path.name} line {number}: unexpected record {record!r}")
    if env:
        sessions.append(RecordedSession(tuple(env), tuple(steps)))
    return sessions


async def replay_session(
    host: str, port: int, session: RecordedSession, step_timeout: float = 5.0
) -> ReplayResult:
    """Play ``session`` against the server; stop at the first command that differs.

    Returns what the server sent; the caller compares it with ``session.steps``.
    """
    reader, writer = await asyncio.open_connection(host, port)
    result = ReplayResult()
    try:
        writer.write("".join(f"{line}\n" for line in session.environment).encode() + b"\n")
        await writer.drain()
        for step in session.steps:
            async with asyncio.timeout(step_timeout):
                line = await reader.readline()
            if not line:
                result.closed_by_server = True
                return result
            command = line.decode().rstrip("\n")
            result.commands.append(command)
            if command != step.command:
                return result
            writer.write(step.answer.encode() + b"\n")
            await writer.drain()
        async with asyncio.timeout(step_timeout):
            extra = await reader.readline()
        if extra:  # a command the recording does not have
            result.commands.append(extra.decode().rstrip("\n"))
        else:
            result.closed_by_server = True
        return result
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except ConnectionError:
            pass


async def drive_session(
    host: str,
    port: int,
    environment: Sequence[str],
    respond: Callable[[str], str],
    step_timeout: float = 5.0,
    max_commands: int = 1000,
) -> list[str]:
    """Play Asterisk for one session: send ``environment``, answer every command with
    ``respond(command)`` (one or more lines) until the server closes; return the commands."""
    reader, writer = await asyncio.open_connection(host, port)
    commands: list[str] = []
    try:
        writer.write("".join(f"{line}\n" for line in environment).encode() + b"\n")
        await writer.drain()
        while len(commands) < max_commands:
            async with asyncio.timeout(step_timeout):
                line = await reader.readline()
            if not line:
                return commands
            command = line.decode().rstrip("\n")
            commands.append(command)
            writer.write(respond(command).rstrip("\n").encode() + b"\n")
            await writer.drain()
        raise RuntimeError(f"more than {max_commands} commands in one session")
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except ConnectionError:
            pass

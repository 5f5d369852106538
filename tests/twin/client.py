"""A tiny test-side AMI client and FastAGI server (independent of the twin's code)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.twin.traces import Msg, split_messages


async def eventually(check: Callable[[], object], within: float = 5.0) -> None:
    """Poll ``check`` until it is true; fail after ``within`` seconds."""
    async with asyncio.timeout(within):
        while not check():  # noqa: ASYNC110 - polling observable state is the point
            await asyncio.sleep(0.005)


class AmiClient:
    """Connects, logs in, sends actions and collects every message."""

    def __init__(self) -> None:
        self.messages: list[dict[str, str]] = []
        self.banner = ""
        self.closed = asyncio.Event()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._task: asyncio.Task[None] | None = None

    async def connect(self, port: int) -> None:
        self._reader, self._writer = await asyncio.open_connection("127.0.0.1", port)
        self.banner = (await self._reader.readline()).decode().rstrip("\r\n")
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self._reader is not None
        buffer = ""
        try:
            while data := await self._reader.read(65536):
                buffer += data.decode()
                found: list[Msg]
                found, buffer = split_messages(buffer)
                self.messages.extend(dict(m) for m in found)
        finally:
            self.closed.set()

    def send_raw(self, data: bytes) -> None:
        assert self._writer is not None
        self._writer.write(data)

    def send(self, **headers: str) -> None:
        lines = "".join(f"{k.replace('_', '')}: {v}\r\n" for k, v in headers.items())
        self.send_raw((lines + "\r\n").encode())

    async def wait_for(
        self, predicate: Callable[[dict[str, str]], bool], within: float = 5.0
    ) -> dict[str, str]:
        """The first message matching ``predicate`` (waiting up to ``within`` seconds)."""
        await eventually(lambda: any(predicate(m) for m in self.messages), within)
        return next(m for m in self.messages if predicate(m))

    async def action(self, within: float = 5.0, **headers: str) -> dict[str, str]:
        """Send an action with a fresh ActionID and return its response."""
        action_id = f"t-{len(self.messages)}-{id(headers)}"
        self.send(**headers, ActionID=action_id)
        return await self.wait_for(
            lambda m: m.get("ActionID") == action_id and "Response" in m, within
        )

    async def login(
        self, user: str = "atende", secret: str = "atende", **extra: str
    ) -> dict[str, str]:
        return await self.action(Action="Login", Username=user, Secret=secret, **extra)

    def events(self, name: str) -> list[dict[str, str]]:
        return [m for m in self.messages if m.get("Event") == name]

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


@dataclass
class FastAgiServer:
    """A FastAGI server whose per-call behaviour is a coroutine given reader/writer."""

    script: Callable[[dict[str, str], asyncio.StreamReader, asyncio.StreamWriter], object]
    sessions: list[dict[str, str]] = field(default_factory=list)
    server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        env: dict[str, str] = {}
        while (line := (await reader.readline()).decode()) not in ("\n", ""):
            key, _, value = line.rstrip("\n").partition(": ")
            env[key] = value
        self.sessions.append(env)
        try:
            await self.script(env, reader, writer)  # type: ignore[misc]
        finally:
            writer.close()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


async def command(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, line: str) -> str:
    """Send one AGI command and return the answer line."""
    writer.write((line + "\n").encode())
    return (await reader.readline()).decode().rstrip("\n")


async def route_to_queue(
    env: dict[str, str], reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """What the engine's IVR does in the simplest case: answer and set a route."""
    await command(reader, writer, "ANSWER")
    await command(reader, writer, "SET VARIABLE ROUTE queue:vendas")

"""A TCP proxy the test can cut: the engine's AMI link to the twin goes through it."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time


class CuttableProxy:
    """Forwards ``127.0.0.1:<port>`` to ``target_port``. :meth:`cut` closes every connection
    and the listening socket (connections are refused) until :meth:`restore`. With
    ``cut_after`` (a regular expression) set, the proxy cuts by itself right after forwarding
    twin data that matches it."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.cut_after: re.Pattern[bytes] | None = None
        self.cut_at: float | None = None
        self._open = True
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    def cut(self) -> None:
        """Drop every connection now and refuse new ones."""
        self._open = False
        self.cut_at = time.time()
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def restore(self) -> None:
        """Accept connections again (same port)."""
        self._open = True
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self._open:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}
        for task in (
            asyncio.create_task(self._pipe(reader, up_writer, watch=False)),
            asyncio.create_task(self._pipe(up_reader, writer, watch=True)),
        ):
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, watch: bool
    ) -> None:
        tail = b""
        try:
            while self._open and (data := await reader.read(65536)):
                writer.write(data)
                await writer.drain()
                seen, tail = tail + data, (tail + data)[-4096:]
                if watch and self.cut_after is not None and self.cut_after.search(seen):
                    self.cut_after = None
                    self.cut()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
            self._writers.discard(writer)

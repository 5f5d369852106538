"""The floor hub: one owned task builds the floor when something changed (at most every
``min_gap`` seconds, and every ``heartbeat`` seconds for the links' state), and hands the
changes, serialized once, to every connected page.

A page (:class:`FloorClient`) gets a snapshot when it joins, then the changes in order, each
numbered (``seq``). A page that falls ``backlog`` messages behind is dropped (its socket is
closed; it reconnects and gets a fresh snapshot): one slow page never holds the others up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable

import structlog

from atende.floor.state import Floor, changes

log = structlog.get_logger("atende.floor")


class FloorClient:
    """One connected page: the messages waiting to be sent to it."""

    def __init__(self, backlog: int) -> None:
        self.queue: asyncio.Queue[str | None] = asyncio.Queue(backlog)
        self.dropped = False

    def put(self, message: str) -> None:
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.drop()

    def drop(self) -> None:
        """Stop feeding this page (its sender sees ``None`` and closes the socket)."""
        if self.dropped:
            return
        self.dropped = True
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)


class FloorHub:
    """Builds the floor with ``source()`` and pushes its changes to the pages."""

    def __init__(
        self,
        source: Callable[[], Floor],
        *,
        min_gap: float = 0.02,
        heartbeat: float = 1.0,
        backlog: int = 256,
        session_recheck: float = 15.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.source = source
        self.min_gap = min_gap
        self.heartbeat = heartbeat
        self.backlog = backlog
        #: seconds between checks that a page's session is still valid (signed out, expired)
        self.session_recheck = session_recheck
        self.clock = clock
        self.clients: set[FloorClient] = set()
        self.floor: Floor = {}
        self.seq = 0
        self.builds = 0
        self._dirty = asyncio.Event()
        self._watched = asyncio.Event()  # set while a page is connected

    def changed(self) -> None:
        """Something the floor shows may have changed (callbacks call this; it only notes)."""
        self._dirty.set()

    def join(self) -> FloorClient:
        """A page connects: it gets the floor as it is now first (built afresh; the other
        pages get the changes since the last build)."""
        try:
            self.build()
        except Exception:
            log.exception("floor_build_failed")
        client = FloorClient(self.backlog)
        message = {"type": "snapshot", "seq": self.seq, "at": self.clock(), "floor": self.floor}
        client.put(json.dumps(message))
        self.clients.add(client)
        self._watched.set()
        return client

    def leave(self, client: FloorClient) -> None:
        self.clients.discard(client)
        if not self.clients:
            self._watched.clear()

    def build(self) -> None:
        """Build the floor once and send its changes (if any) to every page."""
        floor = self.source()
        self.builds += 1
        change = changes(self.floor, floor)
        self.floor = floor
        if change is None:
            return
        self.seq += 1
        message = json.dumps({"type": "changes", "seq": self.seq, "at": self.clock(), **change})
        for client in list(self.clients):
            client.put(message)
            if client.dropped:
                self.clients.discard(client)
                log.warning("floor_page_dropped", reason="too_slow", backlog=self.backlog)

    async def run(self) -> None:
        """Build when told of a change (coalesced) or every ``heartbeat`` seconds."""
        loop = asyncio.get_running_loop()
        last = 0.0
        while True:
            if not self.clients:  # nobody watches: nothing is built (a page that joins gets
                self._watched.clear()  # a fresh one), and changes do not wake the task
                await self._watched.wait()
                self._dirty.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.heartbeat):
                    await self._dirty.wait()
            wait = last + self.min_gap - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self._dirty.clear()
            last = loop.time()
            if not self.clients:
                continue
            try:
                self.build()
            except Exception:
                log.exception("floor_build_failed")

    def close(self) -> None:
        """Every page's socket is closed (the engine stops)."""
        for client in list(self.clients):
            client.drop()
        self.clients.clear()

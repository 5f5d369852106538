"""Does Asterisk know this FastAGI session's channel? The FastAGI server's ``accept`` check.

A FastAGI session names its channel (``agi_uniqueid``, ``agi_channel``); a session whose
channel no linked Asterisk has is not a caller and is refused. The channel's Newchannel may
reach the tracker just after the session connects (another socket, the link's queue), so the
check waits for it, up to ``wait`` seconds, in the session's own task: other sessions and the
link's consumer never wait for it. While the link to the Asterisk in question is down (or its
resync not yet applied) the tracker cannot tell: the session is accepted and that is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping, Sequence

import structlog

from telephony.agi.environment import AgiEnvironment
from telephony.calls.changes import TrackerRecord
from telephony.link import AsteriskLink

log = structlog.get_logger("telephony.known_channels")


class KnownChannelCheck:
    """``await check(env, peer_address)`` is True when the session's channel exists (or
    cannot be checked now), False when no Asterisk showed it within ``wait`` seconds.

    ``hosts`` maps server names to their addresses: a session from one of them is checked
    against that server only; from any other address, against every server.
    """

    def __init__(
        self,
        link: AsteriskLink,
        *,
        wait: float = 5.0,
        hosts: Mapping[str, str] | None = None,
    ) -> None:
        self._link = link
        self.wait = wait
        self._hosts = dict(hosts or {})
        self._changed = asyncio.Event()
        self._unsubscribe: Callable[[], None] | None = link.subscribe(self._on_records)

    def close(self) -> None:
        """Stop following the link."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _on_records(self, records: Sequence[TrackerRecord]) -> None:
        # runs in the link's consumer: only wake the waiting sessions
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def _servers_for(self, address: str) -> list[str]:
        servers = [name for name, host in self._hosts.items() if host == address]
        return servers or self._link.servers

    def _known(self, servers: list[str], env: AgiEnvironment) -> bool:
        tracker = self._link.tracker
        for server in servers:
            channel = tracker.channel(server, env.uniqueid)
            if channel is not None and (not env.channel or channel.name == env.channel):
                return True
        return False

    async def __call__(self, env: AgiEnvironment, address: str) -> bool:
        servers = self._servers_for(address)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait
        while True:
            if self._known(servers, env):
                return True
            if not any(self._link.synced(server) for server in servers):
                log.warning(
                    "agi_channel_unchecked",
                    reason="ami_link_down",
                    servers=servers,
                    channel=env.channel,
                )
                return True
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            changed = self._changed
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(remaining, 0.5)):
                    await changed.wait()

"""The FastAGI server: accepts Asterisk's connections and runs one route per session."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

import structlog

from telephony.agi.environment import AgiEnvironment, read_environment
from telephony.agi.errors import AgiCommandTimeout, AgiError, AgiHangup, AgiProtocolError
from telephony.agi.session import AgiSession

log = structlog.get_logger("telephony.agi")

Route = Callable[[AgiSession], Awaitable[None] | None]
"""A route takes the session; it may be ``async def`` or a plain function."""

AcceptCheck = Callable[[AgiEnvironment, str], Awaitable[bool]]
"""``accept(env, peer_address) -> bool``: False refuses the session (its channel is unknown)."""

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class AgiServer:
    """Serve FastAGI on ``host:port``; ``agi://host:port/<name>`` runs ``routes[name]``.

    Every session runs in a task the server owns; :meth:`stop` cancels and awaits them.
    Whatever happens inside a route (exception, hangup, timeout, garbage from the peer),
    the session is logged with its uniqueid and its socket closed; the server keeps serving.

    ``allowed_peers`` (addresses, networks such as ``10.0.0.0/24``, or host names resolved at
    :meth:`start`) limits who may open a session; None lets anyone. ``accept`` is awaited in
    the session's own task once the environment is read; False refuses the session. A
    refused session is logged (``agi_session_refused`` with the reason) and its socket closed.
    """

    def __init__(
        self,
        routes: Mapping[str, Route] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 4573,
        command_timeout: float = 30.0,
        environment_timeout: float = 10.0,
        line_limit: int = 16384,
        backlog: int = 1024,
        allowed_peers: Iterable[str] | None = None,
        accept: AcceptCheck | None = None,
    ) -> None:
        self.host = host
        self._requested_port = port
        self.command_timeout = command_timeout
        self.environment_timeout = environment_timeout
        self.line_limit = line_limit
        self.backlog = backlog  # a burst of calls must not wait on SYN retries (1 s each)
        self._routes: dict[str, Route] = {}
        self._server: asyncio.Server | None = None
        self._sessions: set[asyncio.Task[None]] = set()
        self._allowed_entries = None if allowed_peers is None else list(allowed_peers)
        self._allowed: list[IpNetwork] | None = None
        self._verdicts: dict[str, bool] = {}  # address -> allowed (the same few Asterisks)
        self._accept_check = accept
        for name, route in (routes or {}).items():
            self.add_route(name, route)

    def add_route(self, name: str, route: Route) -> None:
        """Mount ``route`` under the script name ``name`` (``"inbound"``, ``"ivr/survey"``)."""
        key = name.strip("/")
        if not callable(route):
            raise TypeError(f"route {key!r} is not callable: {route!r}")
        if key in self._routes:
            raise ValueError(f"route {key!r} is already mounted")
        self._routes[key] = route

    @property
    def routes(self) -> list[str]:
        """Names of the mounted routes."""
        return sorted(self._routes)

    @property
    def port(self) -> int:
        """The bound port (the real one when started with port 0)."""
        if self._server is None or not self._server.sockets:
            raise RuntimeError("the FastAGI server is not started")
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def active_sessions(self) -> int:
        """Sessions running now."""
        return len(self._sessions)

    async def start(self) -> None:
        """Bind and start accepting connections."""
        if self._server is not None:
            raise RuntimeError("the FastAGI server is already started")
        if self._allowed_entries is not None:
            self._allowed = await _networks(self._allowed_entries)
            self._verdicts.clear()
        self._server = await asyncio.start_server(
            self._accept,
            self.host,
            self._requested_port,
            limit=self.line_limit,
            backlog=self.backlog,
        )
        log.info(
            "agi_listening",
            host=self.host,
            port=self.port,
            routes=self.routes,
            allowed=None if self._allowed is None else [str(n) for n in self._allowed],
        )

    async def stop(self, grace: float = 0.0) -> None:
        """Stop accepting, give sessions ``grace`` seconds to end, cancel the rest, await all."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        if self._sessions and grace > 0:
            await asyncio.wait(set(self._sessions), timeout=grace)
        pending = set(self._sessions)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        await server.wait_closed()
        log.info("agi_stopped", cancelled=len(pending))

    async def __aenter__(self) -> AgiServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._server is None:  # stopping: refuse politely
            writer.close()
            return
        task = asyncio.get_running_loop().create_task(self._serve(reader, writer))
        self._sessions.add(task)
        task.add_done_callback(self._sessions.discard)
        # a task cancelled before its first step never runs its finally: close here too
        task.add_done_callback(lambda _: writer.close())

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = _peer(writer)
        address = _peer_address(writer)
        try:
            if not self._allowed_address(address):
                log.warning("agi_session_refused", reason="address_not_allowed", peer=peer)
                return
            try:
                async with asyncio.timeout(self.environment_timeout):
                    env = await read_environment(reader)
            except AgiProtocolError as exc:
                log.warning("agi_bad_environment", peer=peer, error=str(exc))
                return
            except TimeoutError:
                log.warning("agi_environment_timeout", peer=peer, timeout=self.environment_timeout)
                return
            except ConnectionError as exc:
                log.warning("agi_connection_lost", peer=peer, error=str(exc))
                return
            # the environment names the channel's uniqueid only; the call's linkedid is not
            # known here, so it is not logged (AMI correlates the two)
            with structlog.contextvars.bound_contextvars(uniqueid=env.uniqueid):
                if not await self._accepted(env, address, peer):
                    return
                session = AgiSession(env, reader, writer, self.command_timeout)
                await self._run_route(session, peer)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                async with asyncio.timeout(1.0):
                    await writer.wait_closed()

    def _allowed_address(self, address: str) -> bool:
        if self._allowed is None:
            return True
        verdict = self._verdicts.get(address)
        if verdict is None:
            if len(self._verdicts) >= 1024:
                self._verdicts.clear()
            verdict = self._verdicts[address] = self._check_address(address)
        return verdict

    def _check_address(self, address: str) -> bool:
        assert self._allowed is not None
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in network for network in self._allowed)

    async def _accepted(self, env: AgiEnvironment, address: str, peer: str) -> bool:
        """The composition root's check; a check that fails lets the caller in (logged)."""
        if self._accept_check is None:
            return True
        try:
            accepted = await self._accept_check(env, address)
        except Exception:
            log.exception("agi_accept_check_failed", channel=env.channel, peer=peer)
            return True
        if not accepted:
            log.warning(
                "agi_session_refused",
                reason="channel_unknown",
                uniqueid=env.uniqueid,
                channel=env.channel,
                route=env.route,
                peer=peer,
            )
        return accepted

    async def _run_route(self, session: AgiSession, peer: str) -> None:
        env = session.env
        route = self._routes.get(env.route)
        fields: dict[str, Any] = {"route": env.route, "channel": env.channel}
        if route is None:
            log.warning("agi_unknown_route", script=env.network_script, peer=peer, **fields)
            with contextlib.suppress(AgiError):
                await session.hangup()
            return
        log.debug("agi_session_started", caller=env.callerid, peer=peer, **fields)
        try:
            result = route(session)
            if inspect.isawaitable(result):
                await result
        except AgiHangup as exc:
            log.info("agi_caller_hung_up", reason=str(exc), **fields)
        except AgiCommandTimeout as exc:
            log.warning("agi_command_timeout", command=exc.command, timeout=exc.timeout, **fields)
        except AgiProtocolError as exc:
            log.warning("agi_protocol_error", error=str(exc), **fields)
        except AgiError as exc:
            log.warning("agi_command_refused", error=str(exc), **fields)
        except asyncio.CancelledError:
            log.info("agi_session_cancelled", **fields)
            raise
        except Exception:
            log.exception("agi_route_failed", **fields)
        else:
            log.debug("agi_session_ended", hung_up=session.hung_up, **fields)


async def _networks(entries: Iterable[str]) -> list[IpNetwork]:
    """Addresses and networks as given; host names resolved (every address they have)."""
    networks: list[IpNetwork] = []
    loop = asyncio.get_running_loop()
    for entry in entries:
        text = entry.strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
            continue
        except ValueError:
            pass
        try:
            infos = await loop.getaddrinfo(text, None, type=socket.SOCK_STREAM)
        except OSError as exc:
            log.error("agi_allowed_host_unresolved", host=text, error=str(exc))
            continue
        for info in infos:
            networks.append(ipaddress.ip_network(str(info[4][0]).split("%", 1)[0]))
    return sorted(set(networks), key=str)


def _peer_address(writer: asyncio.StreamWriter) -> str:
    peer = writer.get_extra_info("peername")
    if isinstance(peer, tuple) and peer:
        return str(peer[0])
    return ""


def _peer(writer: asyncio.StreamWriter) -> str:
    peer = writer.get_extra_info("peername")
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"{peer[0]}:{peer[1]}"
    return str(peer)

"""The FastAGI server: accepts Asterisk's connections and runs one route per session."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import structlog

from telephony.agi.environment import read_environment
from telephony.agi.errors import AgiCommandTimeout, AgiError, AgiHangup, AgiProtocolError
from telephony.agi.session import AgiSession

log = structlog.get_logger("telephony.agi")

Route = Callable[[AgiSession], Awaitable[None] | None]
"""A route takes the session; it may be ``async def`` or a plain function."""


class AgiServer:
    """Serve FastAGI on ``host:port``; ``agi://host:port/<name>`` runs ``routes[name]``.

    Every session runs in a task the server owns; :meth:`stop` cancels and awaits them.
    Whatever happens inside a route (exception, hangup, timeout, garbage from the peer),
    the session is logged with its uniqueid and its socket closed; the server keeps serving.
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
        self._server = await asyncio.start_server(
            self._accept,
            self.host,
            self._requested_port,
            limit=self.line_limit,
            backlog=self.backlog,
        )
        log.info("agi_listening", host=self.host, port=self.port, routes=self.routes)

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
        try:
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
                session = AgiSession(env, reader, writer, self.command_timeout)
                await self._run_route(session, peer)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                async with asyncio.timeout(1.0):
                    await writer.wait_closed()

    async def _run_route(self, session: AgiSession, peer: str) -> None:
        env = session.env
        route = self._routes.get(env.route)
        fields: dict[str, Any] = {"route": env.route, "channel": env.channel}
        if route is None:
            log.warning("agi_unknown_route", script=env.network_script, peer=peer, **fields)
            with contextlib.suppress(AgiError):
                await session.hangup()
            return
        log.info("agi_session_started", caller=env.callerid, peer=peer, **fields)
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
            log.info("agi_session_ended", hung_up=session.hung_up, **fields)


def _peer(writer: asyncio.StreamWriter) -> str:
    peer = writer.get_extra_info("peername")
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"{peer[0]}:{peer[1]}"
    return str(peer)

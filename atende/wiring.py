"""The composition root: builds every client and task from the settings, and runs them."""

from __future__ import annotations

import asyncio
import contextlib
import signal

import structlog
from aiohttp import web

from atende.auth import UserStore
from atende.db import make_engine, upgrade
from atende.erp_runtime import build_erp
from atende.settings import Settings
from atende.web.app import build_app
from atende.web.erp_support import ErpApi
from erp_bridge.outbox.worker import OutboxWorker
from ivr import CallerRouted, default_menu
from ivr.agi_route import InboundIvr
from telephony.agi import AgiServer
from telephony.ami import AmiAuthenticationError
from telephony.link import AsteriskLink

log = structlog.get_logger("atende.wiring")

ROUTED_BACKLOG = 10_000


class Engine:
    """Every long-lived part of the engine, started and stopped together."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = make_engine(settings.database_url)
        self.users = UserStore(self.db)
        self.erp = build_erp(settings, self.db)
        self.routed: asyncio.Queue[CallerRouted] = asyncio.Queue(ROUTED_BACKLOG)
        self.agi = AgiServer(
            {"inbound": InboundIvr(default_menu(), self._enqueue_routed)},
            host=settings.agi_host,
            port=settings.agi_port,
            command_timeout=settings.agi_command_timeout,
        )
        self.link = AsteriskLink.from_settings(settings, show_ended_for=5.0)
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task[None]] = []

    def _enqueue_routed(self, event: CallerRouted) -> None:
        try:
            self.routed.put_nowait(event)
        except asyncio.QueueFull:
            log.error("caller_routed_dropped", uniqueid=event.uniqueid, queue=event.queue)

    async def _consume_routed(self) -> None:
        while True:
            event = await self.routed.get()
            log.info(
                "caller_queued",
                uniqueid=event.uniqueid,
                caller=event.caller,
                queue=event.queue,
                digits=event.digits,
            )

    @property
    def http_port(self) -> int:
        """The bound HTTP port (useful when configured as 0)."""
        assert self._runner is not None
        port: int = self._runner.addresses[0][1]
        return port

    async def start(self) -> None:
        """Migrate, then start FastAGI, the consumers and the HTTP server."""
        await asyncio.to_thread(upgrade, self.settings.database_url)
        await self.agi.start()
        await self.link.start()
        self._tasks.append(asyncio.create_task(self._consume_routed(), name="caller-routed"))
        outbox = OutboxWorker(self.db, self.erp.port).run(asyncio.Event())
        self._tasks.append(asyncio.create_task(outbox, name="erp-outbox"))
        erp_api = ErpApi(self.erp.port, self.db, self.erp.embedded)
        self._runner = web.AppRunner(
            build_app(self.users, self.link.live_calls_view, erp_api), access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.http_host, self.settings.http_port)
        await site.start()
        log.info("engine_started", http_port=self.http_port, agi_port=self.agi.port)

    async def stop(self) -> None:
        """Stop everything started, in reverse order."""
        if self._runner is not None:
            await self._runner.cleanup()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.link.stop()
        await self.agi.stop()
        await self.erp.close()
        await self.db.dispose()
        log.info("engine_stopped")


async def run_engine(settings: Settings, stop: asyncio.Event | None = None) -> int:
    """Run the engine until SIGINT/SIGTERM (or ``stop``)."""
    stop = stop or _stop_on_signals()
    engine = Engine(settings)
    try:
        await engine.start()
    except AmiAuthenticationError as exc:
        log.error("ami_login_refused", error=str(exc))
        await engine.stop()
        return 3
    try:
        await stop.wait()
    finally:
        await engine.stop()
    return 0


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop

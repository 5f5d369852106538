"""The composition root: builds every client and task from the settings, and runs them."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence
from typing import Any

import structlog
from aiohttp import web

from atende.auth import UserStore
from atende.db import make_engine, upgrade
from atende.settings import Settings
from atende.web.app import build_app

log = structlog.get_logger("atende.wiring")


async def run_engine(settings: Settings, stop: asyncio.Event | None = None) -> int:
    """Run the engine until SIGINT/SIGTERM (or ``stop``)."""
    stop = stop or _stop_on_signals()
    await asyncio.to_thread(upgrade, settings.database_url)
    db = make_engine(settings.database_url)

    def no_calls() -> Sequence[dict[str, Any]]:
        return []

    app = build_app(UserStore(db), no_calls)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.http_host, settings.http_port)
    await site.start()
    log.info("http_listening", host=settings.http_host, port=settings.http_port)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        await db.dispose()
        log.info("engine_stopped")
    return 0


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop

"""``atende twin``: run the Asterisk twin as a program."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Sequence
from typing import Protocol

import structlog

from telephony.twin.ami import AmiUser
from telephony.twin.traffic import TrafficGenerator, demo_plan
from telephony.twin.twin import Twin, TwinConfig

log = structlog.get_logger("telephony.twin.cli")


class _Secret(Protocol):
    def get_secret_value(self) -> str: ...


class _AmiServer(Protocol):
    @property
    def username(self) -> str: ...
    @property
    def secret(self) -> _Secret: ...


class TwinSettings(Protocol):
    """What the twin reads from the engine's settings (``atende.settings.Settings`` has it;
    the twin does not import the engine's package)."""

    @property
    def ami_servers(self) -> Sequence[_AmiServer]: ...
    @property
    def twin_ami_port(self) -> int: ...
    @property
    def agi_host(self) -> str: ...
    @property
    def agi_port(self) -> int: ...
    @property
    def twin_seed(self) -> int: ...


def config_from_settings(settings: TwinSettings) -> TwinConfig:
    """AMI on ``twin_ami_port``, FastAGI to the engine, the engine's AMI user."""
    users = {
        server.username: AmiUser(server.secret.get_secret_value())
        for server in settings.ami_servers
    }
    return TwinConfig(
        ami_port=settings.twin_ami_port,
        users=users or {"atende": AmiUser("atende")},
        agi_address=(settings.agi_host, settings.agi_port),
        product_inbound=True,
    )


async def run_twin(settings: TwinSettings, seed: int | None = None, traffic: bool = False) -> int:
    """Run the twin until interrupted (SIGINT/SIGTERM); with ``traffic``, make calls."""
    twin = Twin(config_from_settings(settings))
    try:
        port = await twin.start()
    except OSError as exc:
        log.error("twin_ami_bind_failed", port=settings.twin_ami_port, error=exc.strerror)
        await twin.stop()
        return 2
    log.info(
        "twin_started",
        ami_port=port,
        agi_host=settings.agi_host,
        agi_port=settings.agi_port,
        traffic=traffic,
    )
    generator: TrafficGenerator | None = None
    if traffic:
        generator = TrafficGenerator(
            twin, demo_plan(), settings.twin_seed if seed is None else seed
        )
        generator.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
        if generator is not None:
            await generator.stop()
        await twin.stop()
        log.info("twin_stopped", stats={did: vars(s) for did, s in twin.stats.items()})
    return 0

"""``atende twin``: run the Asterisk twin as a program."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Mapping, Sequence

import structlog

from telephony.twin.ami import AmiUser
from telephony.twin.traffic import TrafficGenerator, demo_plan
from telephony.twin.twin import FEATURES_CONF, Twin, TwinConfig, read_featuremap

log = structlog.get_logger("telephony.twin.cli")


def twin_config(
    ami_port: int, users: Mapping[str, str], agi_address: tuple[str, int]
) -> TwinConfig:
    """AMI on ``ami_port`` for ``users`` (name -> secret), FastAGI to the engine at
    ``agi_address``, the product's inbound dialplan."""
    return TwinConfig(
        ami_port=ami_port,
        users={name: AmiUser(secret) for name, secret in users.items()}
        or {"atende": AmiUser("atende")},
        agi_address=agi_address,
        product_inbound=True,
        features=read_featuremap(FEATURES_CONF),  # as the product's Asterisk is set up
    )


async def run_twin(
    config: TwinConfig, seed: int = 1, traffic: bool = False, callers: Sequence[str] = ()
) -> int:
    """Run the twin until interrupted (SIGINT/SIGTERM); with ``traffic``, make calls (from
    ``callers``' numbers when given, else random ones)."""
    twin = Twin(config)
    try:
        port = await twin.start()
    except OSError as exc:
        log.error("twin_ami_bind_failed", port=config.ami_port, error=exc.strerror)
        await twin.stop()
        return 2
    agi_host, agi_port = config.agi_address or (None, None)
    log.info(
        "twin_started",
        ami_port=port,
        agi_host=agi_host,
        agi_port=agi_port,
        traffic=traffic,
    )
    generator: TrafficGenerator | None = None
    if traffic:
        plan = demo_plan()
        plan.callers = list(callers)
        generator = TrafficGenerator(twin, plan, seed)
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

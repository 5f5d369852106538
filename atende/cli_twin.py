"""``atende twin``: the Asterisk twin for this engine's settings."""

from __future__ import annotations

from collections.abc import Sequence

from atende.settings import Settings
from telephony.twin import cli
from telephony.twin.twin import TwinConfig


def twin_config(settings: Settings) -> TwinConfig:
    """AMI on ``twin_ami_port`` with the engine's AMI users, FastAGI to the engine's
    ``agi_host``/``agi_port``."""
    users = {s.username: s.secret.get_secret_value() for s in settings.ami_servers}
    return cli.twin_config(settings.twin_ami_port, users, (settings.agi_host, settings.agi_port))


async def run_twin(
    settings: Settings,
    seed: int | None = None,
    traffic: bool = False,
    callers: Sequence[str] = (),
) -> int:
    """Run the twin until interrupted; ``seed`` defaults to ``twin_seed``; the traffic calls
    from ``callers`` when given."""
    seed = settings.twin_seed if seed is None else seed
    return await cli.run_twin(twin_config(settings), seed=seed, traffic=traffic, callers=callers)


def read_callers(path: str) -> list[str]:
    """The caller numbers of a file, one a line (blank lines and ``#`` comments skipped)."""
    with open(path, encoding="utf-8") as f:
        lines = [line.split("#", 1)[0].strip() for line in f]
    return [line for line in lines if line]

"""``atende demo``: migrate, seed, run engine + Asterisk twin on embedded defaults."""

from __future__ import annotations

from atende.settings import Settings
from atende.wiring import run_engine


async def run_demo(settings: Settings) -> int:
    """Run the demo until interrupted."""
    return await run_engine(settings)

"""``atende twin``: run the Asterisk twin."""

from __future__ import annotations

from atende.settings import Settings


async def run_twin(settings: Settings, seed: int | None = None, traffic: bool = False) -> int:
    """Run the twin until interrupted."""
    raise SystemExit("atende twin: the Asterisk twin is being built (issue 2)")

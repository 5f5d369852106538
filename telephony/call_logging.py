"""Per-call log context: the call's ids on every log line written while handling it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import structlog


@contextmanager
def bind_call(uniqueid: str, linkedid: str | None = None) -> Iterator[None]:
    """Bind a call's ids to every log line written inside the block."""
    ids = {"uniqueid": uniqueid, "linkedid": linkedid or uniqueid}
    with structlog.contextvars.bound_contextvars(**ids):
        yield

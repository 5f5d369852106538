"""structlog, configured once by the composition root.

JSON lines when stderr is not a terminal, coloured console otherwise. Per-call context
(``uniqueid``, ``linkedid``) is bound with :func:`telephony.call_logging.bind_call` through
contextvars.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_SECRET_KEYS = frozenset({"secret", "password", "token", "authorization"})


def _redact_secrets(
    _: Any, __: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in event_dict:
        if key.lower() in _SECRET_KEYS:
            event_dict[key] = "***"
    return event_dict


def configure_logging(fmt: str = "auto", level: str = "info", *, cache: bool = False) -> None:
    """Configure structlog and the stdlib root logger (idempotent).

    ``cache`` (the long-running engine) binds each module's logger once, at its first use,
    instead of at every line; a later :func:`configure_logging` then no longer reaches the
    loggers already used, so commands run in-process (tests) leave it off."""
    as_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    lvl = getattr(logging, level.upper())
    logging.basicConfig(level=lvl, stream=sys.stderr, format="%(message)s", force=True)
    logging.getLogger("alembic").setLevel(max(lvl, logging.WARNING))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact_secrets,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(lvl),
        # one write of the line and its newline (print() makes two, then flushes)
        logger_factory=structlog.WriteLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=cache,
    )

"""The hand-written evening of queue log (tests/fixtures/queue-log) and its site's queues."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from acd.domain import QueueConfig, QueueLogRecord
from tests.conftest import FIXTURES

SITE = ZoneInfo("America/Sao_Paulo")
DAY = date(2026, 3, 10)
QUEUES = {
    "vendas": QueueConfig(
        name="vendas", service_level_seconds=20, short_abandon_seconds=5, wrap_up_seconds=10
    ),
    "suporte": QueueConfig(name="suporte", service_level_seconds=20, wrap_up_seconds=0),
}


def evening() -> list[QueueLogRecord]:
    """The fixture's records, comments left out."""
    text = (FIXTURES / "queue-log" / "sao-paulo-evening.log").read_text()
    return [QueueLogRecord.from_line(x) for x in text.splitlines() if not x.startswith("#")]


def local(hhmm: str, day: date = DAY) -> datetime:
    """An aware datetime at ``hh:mm`` on ``day`` in the site's zone."""
    hour, minute = (int(x) for x in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SITE)

"""Today's statistics in the site's time zone, kept as queue-log records arrive."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from acd.domain import QueueConfig, QueueEvent, QueueLogRecord
from acd.live.queue_log_writer import QueueLogBook, day_start, period

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
QUEUES = {"vendas": QueueConfig(name="vendas", service_level_seconds=20)}


def at(hour: int, minute: int, day: int = 10) -> float:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC).timestamp()


def entered(time: float, call: str) -> QueueLogRecord:
    return QueueLogRecord(
        time, call, "vendas", "NONE", QueueEvent.ENTERQUEUE, ("0", "1", repr(time))
    )


def connected(time: float, call: str, hold: float) -> QueueLogRecord:
    return QueueLogRecord(time, call, "vendas", "2001", QueueEvent.CONNECT, (f"{hold:.3f}", "1.0"))


async def test_today_is_the_site_day_and_records_are_folded_as_they_come() -> None:
    """At 00:30 in São Paulo (03:30 UTC) a call of 23:59 (02:59 UTC) belongs to yesterday; calls
    added later count at once; the period starts at the site's midnight."""
    loaded: list[float] = []

    async def loader(since: float) -> list[QueueLogRecord]:
        loaded.append(since)
        return [entered(at(2, 59), "old"), entered(at(3, 1), "c1")]

    book = QueueLogBook(None, loader, SAO_PAULO)
    now = at(3, 30)
    await book.load(now)
    assert loaded == [at(3, 0)] == [day_start(now, SAO_PAULO)]
    stats = book.stats(QUEUES, now)
    assert stats.queues["vendas"].offered == 1  # "old" was yesterday in São Paulo
    book.add([connected(at(3, 2), "c1", 60.0), entered(at(3, 10), "c2")])
    stats = book.stats(QUEUES, at(3, 31))
    vendas = stats.queues["vendas"]
    assert (vendas.offered, vendas.answered, vendas.asa, vendas.service_level) == (2, 1, 60.0, 0.0)
    # a longer service-level time applies to the whole day (folded again once)
    wider = {"vendas": QueueConfig(name="vendas", service_level_seconds=90)}
    book.configs_changed()
    assert book.stats(wider, at(3, 32)).queues["vendas"].service_level == 1.0
    assert period(at(3, 30), SAO_PAULO) == {
        "from": "2026-03-10T00:00:00-03:00",
        "to": "2026-03-10T00:30:00-03:00",
        "time_zone": "America/Sao_Paulo",
    }


async def test_a_new_site_day_starts_from_zero() -> None:
    """Past the site's midnight the statistics start again; yesterday's records are dropped."""
    book = QueueLogBook(None, None, SAO_PAULO)
    await book.load(at(12, 0))
    book.add([entered(at(12, 1), "c1"), entered(at(20, 0), "c2")])
    assert book.stats(QUEUES, at(23, 0)).queues["vendas"].offered == 2
    tomorrow = at(3, 5, day=11)  # 00:05 in São Paulo
    book.add([entered(at(3, 1, day=11), "c3")])
    assert book.stats(QUEUES, tomorrow).queues["vendas"].offered == 1
    assert [r.call_id for r in book.history] == ["c3"]

"""Queue and agent statistics, live and rebuilt from the queue log."""

from __future__ import annotations

import pytest

from acd.domain import QueueConfig, QueueEvent, QueueLogRecord, Router, stats_from_log


def scripted() -> tuple[Router, list[QueueLogRecord]]:
    """Four callers: two answered (one late), one short abandon, one long abandon."""
    router = Router(
        [
            QueueConfig(
                name="q", service_level_seconds=20, short_abandon_seconds=5, wrap_up_seconds=10
            )
        ]
    )
    log: list[QueueLogRecord] = []
    router.login("a", {}, 0.0)
    router.pause("a", "coffee", 0.0)
    router.call_arrived("c1", "q", 0.0)
    router.call_arrived("c2", "q", 1.0)
    router.call_arrived("c3", "q", 2.0)
    router.call_arrived("c4", "q", 3.0)
    router.call_abandoned("c3", 5.0)  # waited 3 s: short abandon
    router.unpause("a", 10.0)  # offered c1
    router.agent_answered("c1", 12.0)  # waited 12 s: within 20
    router.call_ended("c1", 72.0, by_agent=True)  # talk 60 s
    router.call_abandoned("c4", 80.0)  # waited 77 s
    router.tick(82.0)  # wrap-up ends (10 s): offered c2
    router.agent_answered("c2", 83.0)  # waited 82 s: late
    router.call_ended("c2", 113.0)  # talk 30 s
    router.wrap_up_done("a", 118.0)  # 5 s wrap-up
    router.pause("a", "lunch", 120.0)
    log += router.drain_log()
    return router, log


def test_queue_figures() -> None:
    """SL excludes short abandons; ASA averages answered waits; AHT adds talk and wrap-up."""
    router, _ = scripted()
    q = router.stats(150.0).queues["q"]
    assert (q.offered, q.answered, q.abandoned, q.short_abandoned) == (4, 2, 2, 1)
    assert q.answered_in_target == 1
    assert q.service_level == pytest.approx(1 / 3)  # 1 in target of (2 answered + 1 long abandon)
    assert q.asa == pytest.approx((12 + 82) / 2)
    assert q.aht == pytest.approx((60 + 30 + 10 + 5) / 2)
    assert (q.waiting, q.longest_wait) == (0, 0.0)


def test_agent_figures() -> None:
    """Talk, wrap-up, pause per reason (open pause counted to now) and occupancy."""
    router, _ = scripted()
    a = router.stats(150.0).agents["a"]
    assert (a.calls, a.talk_time, a.wrap_time) == (2, 90.0, 15.0)
    assert a.pause_time == {"coffee": 10.0, "lunch": 30.0}
    assert a.logged_in_time == 150.0
    assert a.occupancy == pytest.approx(105.0 / 110.0)


def test_waiting_and_longest_wait_include_callers_being_rung() -> None:
    """A caller whose agent is ringing still counts as waiting."""
    router = Router([QueueConfig(name="q")])
    router.call_arrived("c1", "q", 0.0)
    router.call_arrived("c2", "q", 4.0)
    router.login("a", {}, 5.0)  # rings for c1
    q = router.stats(10.0).queues["q"]
    assert (q.waiting, q.longest_wait) == (2, 10.0)


def test_rebuild_from_log_equals_live_stats() -> None:
    """The statistics rebuilt from the records alone are exactly the live ones."""
    router, log = scripted()
    for now in (120.0, 150.0):
        assert stats_from_log(log, router.configs, now) == router.stats(now)


def test_rebuild_from_stored_lines() -> None:
    """Records written as queue_log lines and read back rebuild the same statistics."""
    router, log = scripted()
    lines = [r.to_line() for r in log]
    assert lines[0].startswith("0.0|NONE|NONE|a|ADDMEMBER")
    parsed = [QueueLogRecord.from_line(line) for line in lines]
    assert parsed == log
    assert stats_from_log(parsed, router.configs, 150.0) == router.stats(150.0)


def test_bad_queue_log_lines_are_reported() -> None:
    """A short or unknown-event line raises an error quoting the line."""
    with pytest.raises(ValueError, match="at least 5 fields"):
        QueueLogRecord.from_line("1.0|c1|q")
    with pytest.raises(ValueError, match="bad queue_log line"):
        QueueLogRecord.from_line("1.0|c1|q|NONE|EXPLODE")


def test_every_step_is_logged_in_order() -> None:
    """The scripted day produces the expected sequence of queue_log events."""
    _, log = scripted()
    assert [r.event for r in log] == [
        QueueEvent.ADDMEMBER,
        QueueEvent.PAUSE,
        *[QueueEvent.ENTERQUEUE] * 4,
        QueueEvent.ABANDON,
        QueueEvent.UNPAUSE,
        QueueEvent.CONNECT,
        QueueEvent.COMPLETEAGENT,
        QueueEvent.ABANDON,
        QueueEvent.WRAPUPEND,
        QueueEvent.CONNECT,
        QueueEvent.COMPLETECALLER,
        QueueEvent.WRAPUPEND,
        QueueEvent.PAUSE,
    ]


def test_rebuild_from_a_log_that_starts_mid_day() -> None:
    """A log cut after calls began still rebuilds: known durations come from the data fields."""
    router, log = scripted()
    tail = log[9:]  # starts at the first COMPLETEAGENT: its CONNECT and ENTERQUEUE are cut off
    assert tail[0].event is QueueEvent.COMPLETEAGENT
    q = stats_from_log(tail, router.configs, 150.0).queues["q"]
    assert (q.offered, q.answered, q.completed, q.abandoned) == (0, 1, 2, 1)
    assert q.talk_time == pytest.approx(90.0)
    assert q.short_abandoned == 0  # c4 waited 77 s, read from the ABANDON record
    unknown = QueueLogRecord(1.0, "x", "elsewhere", "NONE", QueueEvent.ENTERQUEUE, ("0", "1"))
    assert "elsewhere" not in stats_from_log([unknown], router.configs, 2.0).queues

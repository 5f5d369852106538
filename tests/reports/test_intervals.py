"""Interval reports rebuilt from a hand-written evening of queue log, figures computed by hand.

The site is in America/Sao_Paulo: UTC midnight is 21:00 local, and a call at 20:58 that ends at
21:03 must stay whole in the local day (the old live statistics cut the day at UTC midnight).
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from acd.domain import Router, stats_from_log
from acd.reports import Interval, QueueRow, interval_bounds, interval_report
from tests.reports.evening import DAY, QUEUES, SITE, evening, local

END_OF_DAY = local("23:59").timestamp() + 60  # now: the day is over


def rows(interval: Interval, day: date = DAY) -> dict[tuple[str, str], QueueRow]:
    bounds = interval_bounds(day, day, SITE, interval)
    report = interval_report(evening(), QUEUES, bounds, now=END_OF_DAY + 86400)
    return {(r.queue, r.start.strftime("%d %H:%M")): r for r in report.queues}


def test_fifteen_minute_intervals_keep_the_calls_around_utc_midnight_in_the_local_day() -> None:
    """20:45-21:00 holds the three callers who entered before 21:00 local (00:00 UTC), with the
    outcomes that came after it; 21:00-21:15 holds the later ones and the refused caller."""
    r = rows(Interval.MIN15)
    assert len([k for k in r if k[0] == "vendas"]) == 96
    before = r[("vendas", "10 20:45")]
    assert (before.offered, before.answered, before.answered_in_target) == (3, 2, 1)
    assert (before.abandoned, before.short_abandoned, before.refused) == (1, 0, 0)
    assert before.service_level == pytest.approx(1 / 3)  # c1 in 10 s of 20; c2 30 s; c3 left
    assert before.asa == pytest.approx(20.0)  # (10 + 30) / 2
    assert before.aht == pytest.approx(310.0)  # (300 + 300 talk + 10 + 10 wrap-up) / 2
    assert before.longest_wait == pytest.approx(30.0)
    after = r[("vendas", "10 21:00")]
    assert (after.offered, after.answered, after.answered_in_target) == (3, 1, 0)
    assert (after.abandoned, after.short_abandoned, after.timed_out, after.refused) == (1, 1, 1, 1)
    assert after.service_level == 0.0  # c8 answered in 30 s; c6 timed out; c4's 3 s left out
    assert after.asa == pytest.approx(30.0)
    assert after.aht == pytest.approx(70.0)  # 60 talk + 10 wrap-up
    assert after.longest_wait == pytest.approx(180.0)  # c6 waited 3 minutes after overflowing
    late = r[("vendas", "10 22:00")]
    assert (late.offered, late.abandoned, late.short_abandoned, late.longest_wait) == (1, 1, 0, 8)
    quiet = r[("vendas", "10 20:30")]
    assert (quiet.offered, quiet.service_level, quiet.asa, quiet.aht) == (0, None, None, None)


def test_transfers_and_callbacks_count_where_the_caller_entered() -> None:
    """suporte at 21:00: c5 accepted a callback and was answered after 120 s; c6 was moved
    to vendas by an overflow step (a transfer)."""
    s = rows(Interval.MIN15)[("suporte", "10 21:00")]
    assert (s.offered, s.answered, s.callbacks, s.transfers) == (2, 1, 1, 1)
    assert s.service_level == 0.0
    assert s.asa == pytest.approx(120.0)
    assert s.aht == pytest.approx(120.0)  # no wrap-up in suporte
    assert s.longest_wait == pytest.approx(120.0)


def test_hourly_and_day_rows_and_the_day_before() -> None:
    """The hour 20:00-21:00 equals the 20:45 quarter; the day adds everything up; the
    caller of 2026-03-09 22:00 local (01:00 UTC on the 10th) is in the 9th."""
    hours = rows(Interval.MIN60)
    assert len([k for k in hours if k[0] == "vendas"]) == 24
    assert (hours[("vendas", "10 20:00")].offered, hours[("vendas", "10 21:00")].offered) == (3, 3)
    day = rows(Interval.DAY)[("vendas", "10 00:00")]
    assert (day.offered, day.answered, day.answered_in_target, day.refused) == (7, 3, 1, 1)
    assert (day.abandoned, day.short_abandoned, day.timed_out, day.transfers) == (3, 1, 1, 0)
    assert day.service_level == pytest.approx(1 / 6)  # 1 / (3 + 3 - 1 + 1)
    assert day.asa == pytest.approx(70 / 3)
    assert day.aht == pytest.approx(230.0)  # (660 talk + 30 wrap-up) / 3
    assert day.longest_wait == pytest.approx(180.0)
    before = rows(Interval.DAY, date(2026, 3, 9))[("vendas", "09 00:00")]
    assert (before.offered, before.abandoned, before.longest_wait) == (1, 1, 40.0)


def test_agent_time_is_cut_at_the_interval_edges() -> None:
    """2002's call 20:58:30-21:03:30 gives 90 s of talk before 21:00 and 210 s after; 2001's
    lunch pause (21:01-21:11) and 2002's logout at 21:20 land in their quarters."""
    bounds = interval_bounds(DAY, DAY, SITE, Interval.MIN15)
    report = interval_report(evening(), QUEUES, bounds, now=END_OF_DAY)
    a = {(r.agent, r.start.strftime("%H:%M")): r for r in report.agents}
    first = a[("2002", "20:45")]
    assert (first.calls, first.logged_in_time, first.talk_time) == (1, 900, 90)
    assert first.occupancy == pytest.approx(0.1)
    second = a[("2002", "21:00")]
    assert (second.calls, second.no_answers, second.talk_time, second.wrap_time) == (1, 1, 330, 10)
    assert second.occupancy == pytest.approx(340 / 900)
    assert a[("2002", "21:15")].logged_in_time == 300
    assert ("2002", "21:30") not in a  # logged out: nothing to show
    lunch = a[("2001", "21:00")]
    assert lunch.pause_time == {"almoco": 600}
    assert (lunch.calls, lunch.talk_time, lunch.wrap_time) == (1, 60, 10)
    assert lunch.occupancy == pytest.approx(70 / 300)  # (talk + wrap-up) / (900 - 600)
    assert a[("2001", "20:30")].logged_in_time == 300  # signed in at 20:40
    assert a[("2001", "23:45")].logged_in_time == 900  # still signed in at the end of the day


def test_an_agent_still_signed_in_counts_up_to_now() -> None:
    """Mid-evening (21:30), 2001's session is counted up to now and no further."""
    bounds = interval_bounds(DAY, DAY, SITE, Interval.MIN30)
    report = interval_report(evening(), QUEUES, bounds, now=local("21:40").timestamp())
    a = {(r.agent, r.start.strftime("%H:%M")): r for r in report.agents}
    assert a[("2001", "21:30")].logged_in_time == 600
    assert ("2001", "22:00") not in a


def test_day_rows_agree_with_the_live_statistics_of_a_routed_day() -> None:
    """A day routed by the real router: the day row's figures equal ``stats_from_log``'s."""
    base = local("09:00").timestamp()
    router = Router(list(QUEUES.values()))
    router.login("a1", {}, base)
    router.login("a2", {}, base)
    t = base
    for n in range(12):
        t += 37
        router.call_arrived(f"k{n}", "vendas" if n % 3 else "suporte", t)
        if n % 4 == 3:
            router.call_abandoned(f"k{n}", t + 2 + n)
            continue
        router.tick(t + 1)
        view = router.agent("a1")
        if view.call_id != f"k{n}" and router.agent("a2").call_id != f"k{n}":
            continue
        router.agent_answered(f"k{n}", t + 3)
        router.call_ended(f"k{n}", t + 30 + n, by_agent=bool(n % 2))
        router.tick(t + 45 + n)
    router.pause("a2", "cafe", t + 100)
    log = router.drain_log()
    now = t + 400
    live = stats_from_log(log, QUEUES, now)
    day = interval_report(log, QUEUES, interval_bounds(DAY, DAY, SITE, Interval.DAY), now)
    by_queue = {r.queue: r for r in day.queues}
    assert sum(r.answered for r in day.queues) >= 4 and sum(r.abandoned for r in day.queues) >= 2
    for name, s in live.queues.items():
        r = by_queue[name]
        assert (r.offered, r.answered, r.abandoned, r.completed) == (
            s.offered, s.answered, s.abandoned, s.completed,
        )  # fmt: skip
        assert r.service_level == s.service_level and r.asa == s.asa
        assert r.aht == pytest.approx(s.aht) if s.aht is not None else r.aht is None
    agents = {r.agent: r for r in day.agents}
    for name, who in live.agents.items():
        assert agents[name].talk_time == pytest.approx(who.talk_time)
        assert agents[name].pause_time == pytest.approx(who.pause_time)
        assert agents[name].occupancy == pytest.approx(who.occupancy)


def test_a_range_that_ends_before_it_starts_is_refused() -> None:
    """Asking for 10 March to 9 March is an error, not an empty report."""
    with pytest.raises(ValueError, match="ends before"):
        interval_bounds(DAY, date(2026, 3, 9), SITE, Interval.DAY)


def test_a_summer_time_day_has_23_hours_and_quarters_stay_15_minutes() -> None:
    """New York springs forward on 2026-03-08: 23 hourly intervals, 92 quarters, each 900 s,
    the day ending at the next local midnight."""
    zone = ZoneInfo("America/New_York")
    day = date(2026, 3, 8)
    hours = interval_bounds(day, day, zone, Interval.MIN60)
    assert len(hours) == 23
    quarters = interval_bounds(day, day, zone, Interval.MIN15)
    assert len(quarters) == 92
    assert {b - a for a, b in zip(quarters.starts, quarters.starts[1:], strict=False)} == {900}
    assert quarters.local(len(quarters) - 1)[1].hour == 0

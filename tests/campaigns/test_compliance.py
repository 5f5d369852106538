"""Compliance core against hand-computed cases: windows across zones and holidays, retries
and the 72 h rule, the abandon rate with AMD false positives, Anatel's 0303 and short calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from campaigns.domain.abandon import AbandonLedger, AbandonWindow
from campaigns.domain.anatel import ShortCallCounter, check_presented_number
from campaigns.domain.errors import CampaignError
from campaigns.domain.profiles import BR, UK, US
from campaigns.domain.retry import Result, RetryPolicy, after_attempt, may_redial


def utc(*args: int) -> datetime:
    """An aware UTC time."""
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


SP, MANAUS, ACRE = ("America/Sao_Paulo",), ("America/Manaus",), ("America/Rio_Branco",)


def test_brazilian_window_follows_each_ddd_zone() -> None:
    """Tuesday 1 Dec 2026 12:30 UTC is 09:30 in Sao Paulo (open), 08:30 in Manaus and 07:30 in
    Acre (closed); they open at 13:00 and 14:00 UTC."""
    at = utc(2026, 12, 1, 12, 30)
    assert BR.window.allows(at, SP)
    assert not BR.window.allows(at, MANAUS)
    assert BR.window.next_open(at, MANAUS) == utc(2026, 12, 1, 13, 0)
    assert BR.window.next_open(at, ACRE) == utc(2026, 12, 1, 14, 0)
    assert not BR.window.allows(utc(2026, 12, 2, 0, 0), SP)  # 21:00 local: closed
    assert BR.window.allows(utc(2026, 12, 1, 23, 59), SP)  # 20:59


def test_two_zones_must_both_be_open() -> None:
    """A DDD 81 phone (Noronha UTC-2 and Recife UTC-3) opens when Recife opens."""
    zones = ("America/Noronha", "America/Recife")
    at = utc(2026, 12, 1, 11, 30)
    assert BR.window.allows(at, zones[:1]) and not BR.window.allows(at, zones)
    assert BR.window.next_open(at, zones) == utc(2026, 12, 1, 12, 0)
    assert not BR.window.allows(at, ())


def test_saturday_sunday_and_holidays_in_brazil() -> None:
    """Saturday 10-16, never Sunday; Christmas (Friday) closed so the next call is Saturday
    10:00 (13:00 UTC); 9 July is a Sao Paulo holiday but not a Rio one."""
    assert BR.window.allows(utc(2026, 12, 5, 18, 59), SP)  # Saturday 15:59
    assert not BR.window.allows(utc(2026, 12, 5, 19, 0), SP)  # Saturday 16:00
    assert not BR.window.allows(utc(2026, 12, 6, 15, 0), SP)  # Sunday
    christmas = utc(2026, 12, 25, 15, 0)
    assert not BR.window.allows(christmas, SP)
    assert BR.window.next_open(christmas, SP) == utc(2026, 12, 26, 13, 0)
    state_day = utc(2026, 7, 9, 15, 0)  # Thursday
    assert not BR.window.allows(state_day, SP, "SP")
    assert BR.window.allows(state_day, SP, "RJ")


def test_us_every_day_and_uk_bank_holidays() -> None:
    """US: 08:00-21:00 New York time on a Sunday too. UK: from Christmas Eve 21:30 the next
    call is Tuesday 29 Dec 08:00 (Christmas, Boxing Day, Sunday, Boxing Day observed)."""
    ny = ("America/New_York",)
    assert not US.window.allows(utc(2026, 11, 29, 12, 30), ny)  # Sunday 07:30 EST
    assert US.window.next_open(utc(2026, 11, 29, 12, 30), ny) == utc(2026, 11, 29, 13, 0)
    london = ("Europe/London",)
    assert UK.window.next_open(utc(2026, 12, 24, 21, 30), london) == utc(2026, 12, 29, 8, 0)


def test_retry_rules_and_the_72_hour_guard() -> None:
    """Busy retries after 15 min until the 5th busy; an abandoned call waits 72 h and holds
    later retries of any result until then; a human is final; attempts in all are capped."""
    policy = RetryPolicy()
    at = utc(2026, 12, 1, 14, 0)
    busy = after_attempt(policy, Result.BUSY, at, {Result.BUSY: 1})
    assert (busy.final, busy.not_before) == (False, at + timedelta(minutes=15))
    assert after_attempt(policy, Result.BUSY, at, {Result.BUSY: 5}).reason == "max_busy"
    dropped = after_attempt(policy, Result.ABANDONED, at, {Result.ABANDONED: 1})
    assert dropped.not_before == at + timedelta(hours=72)
    later = at + timedelta(hours=1)
    busy_after = after_attempt(policy, Result.BUSY, later, {Result.BUSY: 1}, last_abandoned_at=at)
    assert busy_after.not_before == at + timedelta(hours=72)
    assert not may_redial(policy, at + timedelta(hours=71, minutes=59), at)
    assert may_redial(policy, at + timedelta(hours=72), at)
    assert after_attempt(policy, Result.HUMAN, at, {Result.HUMAN: 1}).final
    many = {Result.BUSY: 4, Result.NO_ANSWER: 3, Result.FAILED: 1}
    assert after_attempt(policy, Result.FAILED, at, many).reason == "max_attempts"


def test_abandon_rate_with_amd_false_positives() -> None:
    """100 live calls, 2 abandoned: 2%, room for (3 - 2) / 0.97 = 1.03 more abandons. Ten
    silent 'machines' and 100 others at 5%: 15 presumed people, (2 + 15) / (100 + 15)."""
    ledger = AbandonLedger(AbandonWindow("calendar_day", "Europe/London"), 0.03, 0.05)
    t = utc(2026, 12, 1, 10, 0)
    for i in range(100):
        ledger.record_live(t, abandoned=i < 2)
    assert ledger.rate() == pytest.approx(0.02)
    assert ledger.headroom() == pytest.approx(1 / 0.97)
    for _ in range(10):
        ledger.record_machine(t, "INITIALSILENCE-2500-2500")
    for _ in range(100):
        ledger.record_machine(t, "LONGGREETING-1500-1500")
    assert ledger.false_positives == pytest.approx(15)
    assert ledger.rate() == pytest.approx(17 / 115)
    assert ledger.headroom() == 0


def test_windows_reset_at_midnight_and_per_period() -> None:
    """UK: a new calendar day (London) starts from zero. US: day 31 of a campaign is a new
    30-day period; day 29 is not."""
    ledger = AbandonLedger(AbandonWindow("calendar_day", "Europe/London"), 0.03)
    ledger.record_live(utc(2026, 12, 1, 23, 59), abandoned=True)
    assert ledger.rate() == 1.0
    assert ledger.rate(utc(2026, 12, 2, 0, 0)) == 0.0
    start = utc(2026, 11, 1, 0, 0)
    us = AbandonLedger(AbandonWindow("period", days=30, anchor=start), 0.03)
    us.record_live(start + timedelta(days=29), abandoned=True)
    assert us.rate(start + timedelta(days=29, hours=23)) == 1.0
    assert us.rate(start + timedelta(days=30)) == 0.0
    assert us.headroom() == 0
    from_profile = US.abandon_ledger(start)
    from_profile.record_live(start + timedelta(days=29), abandoned=True)
    assert from_profile.rate(start + timedelta(days=30)) == 0.0
    assert UK.abandon_ledger(start).window.start(utc(2026, 7, 1, 23, 30)) == utc(2026, 7, 1, 23)


def test_start_of_day_allows_no_abandon_until_enough_live_calls() -> None:
    """With cap 3%, the first abandon (itself a live call) fits after 33 live calls:
    1 / 34 = 2.94%, whereas after 32 it would be 1 / 33 = 3.03%."""
    ledger = AbandonLedger(AbandonWindow("calendar_day", "UTC"), 0.03)
    t = utc(2026, 12, 1, 9, 0)
    assert ledger.headroom(t) == 0
    for _ in range(32):
        ledger.record_live(t, abandoned=False)
    assert ledger.headroom() < 1
    ledger.record_live(t, abandoned=False)
    assert ledger.headroom() >= 1


def test_0303_for_brazilian_telemarketing() -> None:
    """Telemarketing and televendas in Brazil need a 0303 number; collection does not."""
    assert check_presented_number("BR", "telemarketing", "0303 123 4567") == "03031234567"
    with pytest.raises(CampaignError) as err:
        check_presented_number("BR", "televendas", "(11) 3333-4444")
    assert err.value.code == "caller_id_not_0303"
    assert check_presented_number("BR", "telecobranca", "1133334444") == "1133334444"
    assert check_presented_number("US", "telemarketing", "+1 212 555 0100") == "12125550100"


def test_short_calls_per_day_and_presented_number() -> None:
    """Calls under 6 s count per presented number; warning at 80 of 100, blocked at 100;
    the count starts again at Sao Paulo's midnight (03:00 UTC)."""
    counter = ShortCallCounter(cap=100)
    t = utc(2026, 12, 1, 15, 0)
    assert not counter.record("03031234567", t, t + timedelta(seconds=6))
    for _ in range(79):
        assert counter.record("03031234567", t, t + timedelta(seconds=5.9))
    counter.record("03039999999", t, t + timedelta(seconds=1))
    assert not counter.status("03031234567", t).warning
    counter.record("03031234567", t, t + timedelta(seconds=2))
    status = counter.status("03031234567", t)
    assert (status.count, status.warning, status.blocked) == (80, True, False)
    for _ in range(20):
        counter.record("03031234567", t, t + timedelta(seconds=2))
    assert counter.status("03031234567", t).blocked
    assert counter.status("03039999999", t).count == 1
    assert counter.status("03031234567", utc(2026, 12, 2, 2, 59)).blocked
    assert counter.status("03031234567", utc(2026, 12, 2, 3, 0)).count == 0
    assert BR.short_call_cap == 100_000 and BR.short_call_warning == 0.8

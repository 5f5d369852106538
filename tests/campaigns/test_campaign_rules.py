"""The stored campaign's pure rules: the profile's defaults, the legal status changes, the
calling window and retry policy it gives the dialer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from campaigns.domain.campaign import (
    CampaignIn,
    CampaignInvalid,
    CampaignPatch,
    changed,
    check_campaign,
    new_campaign,
    next_status,
)
from campaigns.domain.errors import CampaignError
from campaigns.domain.retry import Result, after_attempt

NOW = datetime(2026, 11, 27, 15, tzinfo=UTC)
BASE = CampaignIn(name="c", kind="televendas", queue="q", caller_id="03031234567")


def test_every_status_change_by_hand() -> None:
    """draft: start, stop; running: pause, stop; paused: start, stop; stopped: nothing. A
    start needs a list."""
    draft = new_campaign(BASE.model_copy(update={"list_ids": [1]}), 1, NOW)
    table = {
        "draft": {"start": "running", "pause": None, "stop": "stopped"},
        "running": {"start": None, "pause": "paused", "stop": "stopped"},
        "paused": {"start": "running", "pause": None, "stop": "stopped"},
        "stopped": {"start": None, "pause": None, "stop": None},
    }
    for status, actions in table.items():
        campaign = draft.model_copy(update={"status": status})
        for action, want in actions.items():
            if want is None:
                with pytest.raises(CampaignError, match="illegal_transition"):
                    next_status(campaign, action)  # type: ignore[arg-type]
            else:
                assert next_status(campaign, action) == want  # type: ignore[arg-type]
    with pytest.raises(CampaignError, match="no_lists"):
        next_status(new_campaign(BASE, 1, NOW), "start")


def test_window_and_retries_for_the_dialer() -> None:
    """A BR campaign in SP with Monday 10-18 and Saturday 10-16 only: open Monday 2026-11-30
    11:00 in São Paulo, closed at 09:30, closed on Tuesday, open on Saturday. A busy lead is
    retried after the campaign's 30 minutes and an abandoned one not within 72 h."""
    fields = BASE.model_copy(update={"holidays_state": "SP", "retry": None})
    c = new_campaign(fields, 1, NOW)
    c = changed(
        c, CampaignPatch.model_validate({"hours": {"mon": {"start": "10:00", "end": "18:00"},
                                                   "sat": {"start": "10:00", "end": "16:00"}},
                                         "retry": {"busy": {"cool_down_minutes": 30,
                                                            "max_attempts": 3}}}), NOW,
    )  # fmt: skip
    check_campaign(c)
    zones = ["America/Sao_Paulo"]
    window = c.window()
    assert window.allows(datetime(2026, 11, 30, 14, tzinfo=UTC), zones, "SP")  # 11:00 local
    assert not window.allows(datetime(2026, 11, 30, 12, 30, tzinfo=UTC), zones, "SP")
    assert not window.allows(datetime(2026, 11, 24, 14, tzinfo=UTC), zones, "SP")  # Tuesday
    assert window.allows(datetime(2026, 11, 28, 14, tzinfo=UTC), zones, "SP")  # Saturday
    policy = c.retry_policy()
    busy = after_attempt(policy, Result.BUSY, NOW, {Result.BUSY: 1})
    assert busy.not_before == NOW + timedelta(minutes=30)
    gone = after_attempt(policy, Result.ABANDONED, NOW, {Result.ABANDONED: 1})
    assert gone.not_before is not None and gone.not_before >= NOW + timedelta(hours=72)


def test_holidays_of_the_country_and_the_campaign_state() -> None:
    """Friday 2026-11-20 (Consciência Negra) is national: every BR campaign is closed;
    Thursday 2026-07-09 is São Paulo's own: closed for the SP campaign, open for one without
    a state (for a lead with no state of its own)."""
    sp = new_campaign(BASE.model_copy(update={"holidays_state": "SP"}), 1, NOW)
    plain = new_campaign(BASE, 2, NOW)
    zones = ["America/Sao_Paulo"]
    assert not sp.window().allows(datetime(2026, 11, 20, 15, tzinfo=UTC), zones)
    assert not plain.window().allows(datetime(2026, 11, 20, 15, tzinfo=UTC), zones)
    assert sp.window().allows(datetime(2026, 11, 19, 15, tzinfo=UTC), zones)
    assert not sp.window().allows(datetime(2026, 7, 9, 15, tzinfo=UTC), zones)
    assert plain.window().allows(datetime(2026, 7, 9, 15, tzinfo=UTC), zones)


def test_every_breach_is_named() -> None:
    """One check names each breach with its field and code."""
    bad = new_campaign(
        BASE.model_copy(update={"caller_id": "1133334444", "max_abandon_rate": 0.04}), 1, NOW
    )
    with pytest.raises(CampaignInvalid) as info:
        check_campaign(bad)
    assert [(i.field, i.code) for i in info.value.issues] == [
        ("max_abandon_rate", "abandon_rate_above_cap"),
        ("caller_id", "caller_id_not_0303"),
    ]
    stopped = bad.model_copy(update={"status": "stopped"})
    with pytest.raises(CampaignError, match="campaign_stopped"):
        changed(stopped, CampaignPatch(ratio=2), NOW)

"""The stored campaign: what it calls (lists), who takes the calls (the queue of its agents),
when (calling windows in the lead's local time), how (preview, progressive, predictive), the
abandon cap and its window, retries by result, and its status.

A compliance profile (US, UK, BR) fills every field left out and bounds what may be set: a
campaign may tighten its profile (narrower hours, a lower cap, a daily window where the law
measures 30 days) but never loosen it. :func:`campaign_problems` lists every breach with a
stable code; :func:`next_status` gives the legal status changes.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated, Literal

import holidays
from pydantic import BaseModel, ConfigDict, Field, model_validator

from campaigns.domain.errors import CampaignError
from campaigns.domain.profiles import PROFILES, ComplianceProfile
from campaigns.domain.retry import DEFAULT_RULES, Result, RetryPolicy, RetryRule
from campaigns.domain.windows import CallingWindow

Kind = Literal["telemarketing", "televendas", "telecobranca"]
Mode = Literal["preview", "progressive", "predictive"]
Status = Literal["draft", "running", "paused", "stopped"]
AbandonWindowName = Literal["day", "30d"]
ProfileName = Literal["US", "UK", "BR"]
LeadOrder = Literal["upload", "newest_first", "fewest_attempts", "random"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Action = Literal["start", "pause", "stop"]
RetryResult = Literal["busy", "no_answer", "machine", "abandoned", "failed"]

WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CampaignName = Annotated[
    str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$")
]
QueueRef = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^|\s/]+$")]
CallerId = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^\+?[0-9 ()-]+$")]
#: holidays' country codes differ from the profiles' names in one case
HOLIDAY_COUNTRY = {"US": "US", "UK": "GB", "BR": "BR"}
#: the windows of the law for each profile
PROFILE_WINDOW: dict[str, AbandonWindowName] = {"US": "30d", "UK": "day", "BR": "day"}


class Hours(BaseModel):
    """Open hours of one weekday, local time of the lead (``end`` excluded)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    start: time
    end: time

    @model_validator(mode="after")
    def _ordered(self) -> Hours:
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self


class RetryRuleIn(BaseModel):
    """Cool-down before calling the lead again after this result, and attempts allowed with it."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    cool_down_minutes: int = Field(ge=0, le=60 * 24 * 30)
    max_attempts: int = Field(ge=0, le=20)


class CampaignFields(BaseModel):
    """The fields of a campaign a manager may set (``None``: the profile's default)."""

    model_config = ConfigDict(extra="forbid")
    kind: Kind | None = None
    profile: ProfileName | None = None
    queue: QueueRef | None = None
    list_ids: list[int] | None = None
    mode: Mode | None = None
    ratio: float | None = Field(default=None, ge=1.0, le=5.0)
    max_abandon_rate: float | None = Field(default=None, ge=0.0, le=0.1)
    abandon_window: AbandonWindowName | None = None
    caller_id: CallerId | None = None
    hours: dict[Weekday, Hours] | None = None
    holidays_state: str | None = Field(default=None, max_length=8)
    retry: dict[RetryResult, RetryRuleIn] | None = None
    max_attempts: int | None = Field(default=None, ge=1, le=50)
    lead_order: LeadOrder | None = None


class CampaignIn(CampaignFields):
    """A new campaign: name, kind, queue and caller id are required; the rest defaults."""

    name: CampaignName
    kind: Kind
    queue: QueueRef
    caller_id: CallerId


class CampaignPatch(CampaignFields):
    """A change of some fields (a draft or paused campaign only); ``name`` may change too."""

    name: CampaignName | None = None


class Campaign(BaseModel):
    """A stored campaign, every field filled (the profile's defaults applied)."""

    model_config = ConfigDict(frozen=True)
    id: int
    name: str
    kind: Kind
    profile: ProfileName
    queue: str
    list_ids: list[int]
    mode: Mode
    ratio: float
    max_abandon_rate: float
    abandon_window: AbandonWindowName
    caller_id: str
    hours: dict[Weekday, Hours]
    holidays_country: str
    holidays_state: str
    retry: dict[RetryResult, RetryRuleIn]
    max_attempts: int
    lead_order: LeadOrder
    status: Status
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None

    def compliance(self) -> ComplianceProfile:
        """The compliance profile the campaign keeps."""
        return PROFILES[self.profile]

    def window(self) -> CallingWindow:
        """The calling window (hours per weekday, holidays of the country and state)."""
        profile = self.compliance()
        hours = {WEEKDAYS.index(day): (h.start, h.end) for day, h in self.hours.items()}
        return CallingWindow(
            hours,
            holiday_country=self.holidays_country or None,
            closed_on_holidays=profile.window.closed_on_holidays,
            subdivisions=profile.window.subdivisions,
            state=self.holidays_state or None,
        )

    def retry_policy(self) -> RetryPolicy:
        """Retry rules by result, attempts in all, and the 72 h guard after an abandon."""
        rules = {
            Result(result): RetryRule(timedelta(minutes=r.cool_down_minutes), r.max_attempts)
            for result, r in self.retry.items()
        }
        guard = self.compliance().retry.redial_after_abandon
        return RetryPolicy(rules, self.max_attempts, guard)


def profile_hours(profile: ComplianceProfile) -> dict[Weekday, Hours]:
    """The hours of a profile per weekday name."""
    return {
        WEEKDAYS[day]: Hours(start=start, end=end)
        for day, (start, end) in sorted(profile.window.hours.items())
    }


def profile_retry(profile: ComplianceProfile) -> dict[RetryResult, RetryRuleIn]:
    """The retry rules of a profile in minutes."""
    rules = profile.retry.rules or DEFAULT_RULES
    return {
        result.value: RetryRuleIn(  # type: ignore[misc]
            cool_down_minutes=int(rule.cool_down.total_seconds() // 60),
            max_attempts=rule.max_attempts,
        )
        for result, rule in rules.items()
        if result is not Result.HUMAN
    }


def new_campaign(fields: CampaignIn, campaign_id: int, now: datetime) -> Campaign:
    """A draft campaign from ``fields``, the profile's defaults filling the rest."""
    profile = PROFILES[fields.profile or "BR"]
    return Campaign(
        id=campaign_id,
        name=fields.name,
        kind=fields.kind,
        profile=fields.profile or "BR",
        queue=fields.queue,
        list_ids=list(fields.list_ids or []),
        mode=fields.mode or "progressive",
        ratio=fields.ratio if fields.ratio is not None else 1.0,
        max_abandon_rate=(
            fields.max_abandon_rate if fields.max_abandon_rate is not None else profile.abandon_cap
        ),
        abandon_window=fields.abandon_window or PROFILE_WINDOW[profile.country],
        caller_id=fields.caller_id,
        hours=fields.hours if fields.hours is not None else profile_hours(profile),
        holidays_country=HOLIDAY_COUNTRY[profile.country] if profile.window.holiday_country else "",
        holidays_state=(fields.holidays_state or "").upper(),
        retry={**profile_retry(profile), **(fields.retry or {})},
        max_attempts=fields.max_attempts or profile.retry.max_attempts,
        lead_order=fields.lead_order or "upload",
        status="draft",
        created_at=now,
        updated_at=now,
    )


def changed(campaign: Campaign, patch: CampaignPatch, now: datetime) -> Campaign:
    """``campaign`` with the fields of ``patch``; a new profile brings its defaults for the
    fields not given. Only a draft or paused campaign may change."""
    if campaign.status == "running":
        raise CampaignError("campaign_running", "pause the campaign before changing it")
    if campaign.status == "stopped":
        raise CampaignError("campaign_stopped", "a stopped campaign cannot change")
    given = patch.model_dump(exclude_unset=True)
    if "profile" in given and given["profile"] != campaign.profile:
        base = CampaignIn(
            name=campaign.name,
            kind=campaign.kind,
            queue=campaign.queue,
            caller_id=campaign.caller_id,
            profile=given["profile"],
            list_ids=campaign.list_ids,
            mode=campaign.mode,
            ratio=campaign.ratio,
            lead_order=campaign.lead_order,
        )
        campaign = new_campaign(base, campaign.id, campaign.created_at).model_copy(
            update={"status": campaign.status, "started_at": campaign.started_at}
        )
    values: dict[str, object] = {}
    for key in given:
        value = getattr(patch, key)
        if key == "holidays_state":
            values[key] = (value or "").upper()
        elif key == "retry" and value is not None:
            values[key] = {**campaign.retry, **value}
        elif key != "profile" and value is not None:
            values[key] = value
    return campaign.model_copy(update={**values, "updated_at": now})


class Issue(BaseModel):
    """One breach of the rules: the field, a stable code and a message for people."""

    field: str
    code: str
    message: str


def _hours_issues(c: Campaign, profile: ComplianceProfile) -> list[Issue]:
    issues = []
    for day in WEEKDAYS:
        mine = c.hours.get(day)
        if mine is None:
            continue
        allowed = profile.window.hours.get(WEEKDAYS.index(day))
        if allowed is None:
            issues.append(
                Issue(
                    field=f"hours.{day}",
                    code="hours_outside_profile",
                    message=f"the {c.profile} profile allows no calls on {day}",
                )
            )
        elif mine.start < allowed[0] or mine.end > allowed[1]:
            issues.append(
                Issue(
                    field=f"hours.{day}",
                    code="hours_outside_profile",
                    message=f"the {c.profile} profile allows {day} "
                    f"{allowed[0]:%H:%M}-{allowed[1]:%H:%M} only",
                )
            )
    return issues


def campaign_problems(c: Campaign) -> list[Issue]:
    """Every rule the campaign breaks (empty when it may be stored)."""
    profile = c.compliance()
    issues = _hours_issues(c, profile)
    if c.max_abandon_rate > profile.abandon_cap:
        issues.append(
            Issue(
                field="max_abandon_rate",
                code="abandon_rate_above_cap",
                message=f"the {c.profile} profile caps abandons at {profile.abandon_cap:.0%}",
            )
        )
    if c.abandon_window == "30d" and PROFILE_WINDOW[c.profile] == "day":
        issues.append(
            Issue(
                field="abandon_window",
                code="abandon_window_too_wide",
                message=f"the {c.profile} profile measures abandons per day",
            )
        )
    if c.mode == "preview" and c.ratio != 1.0:
        issues.append(
            Issue(field="ratio", code="ratio_invalid", message="preview mode dials one lead")
        )
    digits = "".join(ch for ch in c.caller_id if ch.isdigit())
    if not 8 <= len(digits) <= 15:
        issues.append(Issue(field="caller_id", code="caller_id_invalid", message="8 to 15 digits"))
    else:
        from campaigns.domain.anatel import check_presented_number

        try:
            check_presented_number(profile.country, c.kind, c.caller_id)
        except CampaignError as err:
            issues.append(Issue(field="caller_id", code=err.code, message=err.message))
    if c.holidays_state and c.holidays_country:
        known = holidays.list_supported_countries().get(c.holidays_country, [])
        if c.holidays_state not in known:
            issues.append(
                Issue(
                    field="holidays_state",
                    code="holidays_state_unknown",
                    message=f"{c.holidays_state!r} is not a state of {c.holidays_country}",
                )
            )
    for result, rule in c.retry.items():
        if rule.max_attempts > c.max_attempts:
            issues.append(
                Issue(
                    field=f"retry.{result}.max_attempts",
                    code="retry_above_max_attempts",
                    message=f"at most {c.max_attempts} attempts in all",
                )
            )
    return issues


class CampaignInvalid(CampaignError):
    """The campaign breaks rules; ``issues`` names each (the code is the first one's)."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__(issues[0].code, "; ".join(f"{i.field}: {i.message}" for i in issues))
        self.issues = issues


def check_campaign(c: Campaign) -> Campaign:
    """``c`` when it keeps every rule; else :class:`CampaignInvalid`."""
    issues = campaign_problems(c)
    if issues:
        raise CampaignInvalid(issues)
    return c


TRANSITIONS: dict[Status, dict[Action, Status]] = {
    "draft": {"start": "running", "stop": "stopped"},
    "running": {"pause": "paused", "stop": "stopped"},
    "paused": {"start": "running", "stop": "stopped"},
    "stopped": {},
}


def next_status(c: Campaign, action: Action) -> Status:
    """The status after ``action``; ``illegal_transition`` when the status refuses it, and a
    campaign starts only with lists and keeping every rule."""
    status = TRANSITIONS[c.status].get(action)
    if status is None:
        raise CampaignError("illegal_transition", f"cannot {action} a {c.status} campaign")
    if action == "start":
        if not c.list_ids:
            raise CampaignError("no_lists", "attach a list before starting the campaign")
        check_campaign(c)
    return status

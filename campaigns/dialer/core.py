"""The dialer's pure core: how many lines now, which leads, and what each call event means.

No I/O and no clock: every method takes ``now`` (an aware datetime). The adapters feed it the
AMI outcomes (answered, busy, no answer, AMD verdicts, bridged, ended) and the agents of the
campaign's queue, and carry out what it returns (dial these leads, hang up those calls, play
the safe-harbour message to that person).

A call's result for the lead: a person connected to an agent is final (``reached``); a person
not connected within the connect window is abandoned (message, counted, no redial within
72 h); machines, busy, no answer and failures are retried by the campaign's rules. The abandon
ledger counts every person (connected or abandoned) and AMD's possible false positives; the
pacer spends the ledger's headroom under the cap (keeping its own reserve) and keeps the rate
under the cap at every moment of the law's window. It reads each busy agent's state: an
agent in wrap-up is free when its known wrap-up ends, one on a call when the recent talk
times longer than his talk so far end (plus the wrap-up), one being rung is about to talk.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from campaigns.dialer.leads import DialLead, LeadBook
from campaigns.dialer.plan import DialingPlan
from campaigns.domain.abandon import AbandonLedger, AbandonWindow
from campaigns.domain.anatel import ShortCallCounter
from campaigns.domain.pacing import (
    PacingDecision,
    PacingInput,
    PredictivePacer,
    expected_remaining,
    person_share,
    progressive,
)
from campaigns.domain.retry import Result, RetryDecision
from campaigns.port import BusyAgent, CampaignFigures

#: DialEnd statuses of a preview call's customer leg that was not answered
AGENT_DIAL_FAILED = {
    "BUSY": Result.BUSY,
    "NOANSWER": Result.NO_ANSWER,
    "CANCEL": Result.NO_ANSWER,  # the agent hung up while it rang
    "CONGESTION": Result.FAILED,
    "CHANUNAVAIL": Result.FAILED,
}
#: OriginateResponse reasons (AST_CONTROL_*) of a call that was not answered
NOT_ANSWERED = {"3": Result.NO_ANSWER, "5": Result.BUSY, "8": Result.FAILED}
PRIOR_ANSWER_RATE = 0.3
"""Answer rate assumed before any call of the day finished (with 0 samples: its upper bound)."""


class Stage(StrEnum):
    """Where a dialer call is."""

    RINGING = "ringing"
    ANSWERED = "answered"  # AMD is listening
    WAITING = "waiting"  # a person, handed to the ACD, within the connect window
    CONNECTED = "connected"
    ABANDONED = "abandoned"
    MACHINE = "machine"


@dataclass
class Attempt:
    """One dialer call."""

    attempt_id: str
    lead_id: int
    number: str
    presented: str
    dialled_at: datetime
    stage: Stage = Stage.RINGING
    answered_at: datetime | None = None
    verdict_at: datetime | None = None
    connected_at: datetime | None = None
    amd_status: str = ""
    amd_cause: str = ""
    result: Result | None = None
    cancelled: bool = False  # hung up by the pacer while ringing
    agent: str = ""  # preview: the agent who dials it (his phone first)


@dataclass(frozen=True)
class Agents:
    """The campaign queue's agents now: free ones and each busy one's state."""

    free: int
    busy: Sequence[BusyAgent] = ()
    wrap_up_seconds: float = 0.0

    @property
    def logged_in(self) -> int:
        """Agents able to take the campaign's calls."""
        return self.free + len(self.busy)

    def talking(self) -> list[float]:
        """Talk seconds so far of each agent on a call (0 for one being rung: his call is
        about to start)."""
        return [b.seconds if b.state == "on_call" else 0.0 for b in self.busy
                if b.state != "wrap_up"]  # fmt: skip

    def wrapping(self) -> list[float]:
        """Wrap-up seconds left of each agent in wrap-up (one that ends with a disposition
        is taken as not free within the pacer's look ahead)."""
        return [math.inf if b.wrap_left is None else b.wrap_left for b in self.busy
                if b.state == "wrap_up"]  # fmt: skip


@dataclass(frozen=True)
class Dial:
    """A call to place."""

    attempt_id: str
    lead_id: int
    number: str
    presented: str
    customer_id: str


@dataclass(frozen=True)
class Orders:
    """What the adapter must do after a tick."""

    dial: tuple[Dial, ...] = ()
    cancel: tuple[str, ...] = ()  # ringing attempts to hang up (agents left)
    decision: PacingDecision | None = None


@dataclass(frozen=True)
class Outcome:
    """A finished attempt and what it means for the lead."""

    attempt: Attempt
    result: Result
    decision: RetryDecision
    short_call: bool


class DialerCore:
    """One campaign's dialer state (see the module's docstring)."""

    def __init__(
        self,
        plan: DialingPlan,
        leads: Iterable[DialLead],
        started_at: datetime,
        short_calls: ShortCallCounter | None = None,
        pacer: PredictivePacer | None = None,
    ) -> None:
        self.plan = plan
        self.book = LeadBook(leads, plan.calling_window, plan.retry_policy)
        profile = plan.profile
        if plan.abandon_window in ("30d", "period"):
            window = AbandonWindow("period", profile.zone, 30, started_at)
        else:
            window = AbandonWindow("calendar_day", profile.zone)
        self.ledger = AbandonLedger(window, plan.max_abandon_rate, profile.amd_false_positive_share)
        self.short_calls = short_calls or ShortCallCounter(
            profile.short_call_cap, profile.short_call_warning, profile.short_call_seconds
        )
        self.pacer = pacer or PredictivePacer()
        self.attempts: dict[str, Attempt] = {}
        self.results: Counter[str] = Counter()
        self.status = "running"
        self._ids = itertools.count(1)
        self._finished_dials = 0
        self._persons = 0
        self._verdicts = 0
        self._answer_times: deque[float] = deque(maxlen=200)
        self._verdict_delays: deque[float] = deque(maxlen=200)
        self._handling: deque[float] = deque(maxlen=200)
        self.last_decision: PacingDecision | None = None
        self._agents = Agents(0)

    # ------------------------------------------------------------------ pacing
    def tick(self, now: datetime, agents: Agents, lines_free: int = 10_000) -> Orders:
        """How many calls to place now and which leads; ringing calls to hang up."""
        self._agents = agents
        if self.status != "running" or self.plan.mode == "preview":
            return Orders()
        presented = self.plan.presented_number
        if self.plan.profile.requires_0303 and self.short_calls.status(presented, now).blocked:
            return Orders()
        state = self._pacing_input(now, agents, lines_free)
        if self.plan.mode == "predictive":
            decision = self.pacer.decide(state)
        else:
            ratio = self.plan.ratio if state.headroom >= 1.0 else min(self.plan.ratio, 1.0)
            decision = progressive(state, ratio)
        self.last_decision = decision
        cancel = self._oldest_cancellable(now, decision.cancel)
        dials = []
        for lead, phone in self.book.take(now, decision.dial):
            attempt_id = f"{self.plan.campaign_id}-{lead.lead_id}-{next(self._ids)}"
            self.attempts[attempt_id] = Attempt(
                attempt_id, lead.lead_id, phone.number, presented, now
            )
            dials.append(Dial(attempt_id, lead.lead_id, phone.number, presented, lead.customer_id))
        return Orders(tuple(dials), tuple(cancel), decision)

    def _ringing(self) -> list[Attempt]:
        return [a for a in self.attempts.values() if a.stage is Stage.RINGING and not a.cancelled]

    def _pacing_input(self, now: datetime, agents: Agents, lines_free: int) -> PacingInput:
        ringing = self._ringing()
        waiting = sum(1 for a in self.attempts.values() if a.stage is Stage.WAITING)
        answering = sum(1 for a in self.attempts.values() if a.stage is Stage.ANSWERED)
        samples = self._finished_dials
        rate = self._persons / samples if samples else PRIOR_ANSWER_RATE
        answer_time = (
            sum(self._answer_times) / len(self._answer_times) if self._answer_times else 10.0
        )
        handling = list(self._handling) or [120.0]
        wrap = agents.wrap_up_seconds
        talking, wrapping = agents.talking(), agents.wrapping()
        busy = [expected_remaining(e, handling, wrap) for e in talking] + wrapping
        minimum = self.plan.profile.ring_at_least_seconds
        ages = [(now - a.dialled_at).total_seconds() for a in ringing]
        silent = self.ledger.silent_machines if not self.plan.silence_is_person else 0
        fp_rate = silent / samples if samples else 0.0
        delays = self._verdict_delays
        return PacingInput(
            free_agents=agents.free,
            busy_free_in=busy,
            ringing=len(ringing),
            waiting=waiting,
            answering=answering,
            person_share=person_share(self._persons, self._verdicts),
            answer_rate=rate,
            seconds_to_answer=answer_time,
            headroom=self.ledger.headroom(now),
            answer_samples=samples,
            lines_free=lines_free,
            cancellable=sum(1 for age in ages if age >= minimum),
            false_positive_rate=fp_rate,
            ringing_ages=ages,
            answer_times=list(self._answer_times),
            talk_elapsed=talking,
            wrap_left=wrapping,
            handling_times=list(self._handling),
            wrap_up=wrap,
            verdict_delay=sum(delays) / len(delays) if delays else 0.0,
        )

    def _oldest_cancellable(self, now: datetime, count: int) -> list[str]:
        minimum = self.plan.profile.ring_at_least_seconds
        old = [a for a in self._ringing() if (now - a.dialled_at).total_seconds() >= minimum]
        old.sort(key=lambda a: a.dialled_at)
        for attempt in old[:count]:
            attempt.cancelled = True
        return [a.attempt_id for a in old[:count]]

    # ------------------------------------------------------------------ call events
    def answered(self, attempt_id: str, now: datetime) -> None:
        """OriginateResponse Success: the number answered; AMD listens."""
        attempt = self.attempts.get(attempt_id)
        if attempt is not None and attempt.stage is Stage.RINGING:
            attempt.stage, attempt.answered_at = Stage.ANSWERED, now

    def not_answered(self, attempt_id: str, reason: str, now: datetime) -> Outcome | None:
        """OriginateResponse Failure: busy (5), no answer (3), congestion (8), failed (0, 1)."""
        attempt = self.attempts.get(attempt_id)
        if attempt is None or attempt.stage is not Stage.RINGING:
            return None
        return self._finish(attempt, NOT_ANSWERED.get(reason, Result.FAILED), now)

    def amd(self, attempt_id: str, status: str, cause: str, now: datetime) -> Stage | None:
        """AMD's verdict: ``WAITING`` (a person: hand to an agent within the connect window)
        or ``MACHINE`` (the campaign's machine treatment). A silent answer (``INITIALSILENCE``)
        is a person when the plan says so, else a machine counted as a possible false
        positive."""
        attempt = self.attempts.get(attempt_id)
        if attempt is None or attempt.stage is not Stage.ANSWERED:
            return None
        attempt.amd_status, attempt.amd_cause, attempt.verdict_at = status, cause, now
        self._verdicts += 1
        if attempt.answered_at is not None:
            self._verdict_delays.append((now - attempt.answered_at).total_seconds())
        silent = cause.upper().startswith("INITIALSILENCE")
        machine = status.upper() == "MACHINE" and not (silent and self.plan.silence_is_person)
        if machine:
            attempt.stage = Stage.MACHINE
            self.ledger.record_machine(now, cause)
            return Stage.MACHINE
        attempt.stage = Stage.WAITING
        self._persons += 1
        self._answer_times.append((now - attempt.dialled_at).total_seconds())
        return Stage.WAITING

    def due_abandons(self, now: datetime) -> list[str]:
        """People waiting longer than the connect window (2 s): play them the message."""
        window = timedelta(seconds=self.plan.profile.connect_within_seconds)
        return [
            a.attempt_id
            for a in self.attempts.values()
            if a.stage is Stage.WAITING
            and a.verdict_at is not None
            and now - a.verdict_at >= window
        ]

    def connected(self, attempt_id: str, now: datetime) -> None:
        """The person is talking to an agent."""
        attempt = self.attempts.get(attempt_id)
        if attempt is not None and attempt.stage is Stage.WAITING:
            attempt.stage, attempt.connected_at = Stage.CONNECTED, now
            self.ledger.record_live(now, abandoned=False)

    def abandoned(self, attempt_id: str, now: datetime) -> None:
        """No agent within the window: the safe-harbour message plays; counted abandoned."""
        attempt = self.attempts.get(attempt_id)
        if attempt is not None and attempt.stage is Stage.WAITING:
            attempt.stage = Stage.ABANDONED
            self.ledger.record_live(now, abandoned=True)

    def ended(self, attempt_id: str, now: datetime) -> Outcome | None:
        """The call's last channel hung up: the attempt's result for the lead."""
        attempt = self.attempts.get(attempt_id)
        if attempt is None:
            return None
        if attempt.stage is Stage.WAITING:  # hung up inside the window: abandoned all the same
            self.abandoned(attempt_id, now)
        result = {
            Stage.CONNECTED: Result.HUMAN,
            Stage.ABANDONED: Result.ABANDONED,
            Stage.MACHINE: Result.MACHINE,
            Stage.RINGING: Result.NO_ANSWER,
            Stage.ANSWERED: Result.NO_ANSWER,  # hung up while AMD listened
        }[attempt.stage]
        if attempt.connected_at is not None:
            self._handling.append((now - attempt.connected_at).total_seconds())
        return self._finish(attempt, result, now)

    def _finish(self, attempt: Attempt, result: Result, now: datetime) -> Outcome:
        del self.attempts[attempt.attempt_id]
        attempt.result = result
        self._finished_dials += 1
        short = False
        if attempt.answered_at is not None:
            short = self.short_calls.record(attempt.presented, attempt.answered_at, now)
        self.results[result.value] += 1
        decision = self.book.result(attempt.lead_id, result, now)
        return Outcome(attempt, result, decision, short)

    # ------------------------------------------------------------------ preview
    def offer(self, now: datetime, skipped: Iterable[int] = ()) -> tuple[DialLead, str] | None:
        """A preview campaign's next lead for an agent (held for him, not dialled): the lead
        and the phone to dial; None when no lead may be dialled now. ``skipped``: leads the
        agent passed over."""
        if self.status != "running" or self.plan.mode != "preview":
            return None
        taken = self.book.take(now, 1, exclude=set(skipped))
        if not taken:
            return None
        lead, phone = taken[0]
        return lead, phone.number

    def release(self, lead_id: int) -> None:
        """An offered lead the agent skipped (or could not dial): back in line."""
        self.book.release(lead_id)

    def agent_dialled(self, lead_id: int, number: str, agent: str, now: datetime) -> str:
        """The agent dials an offered lead (his phone first): the attempt's id."""
        attempt_id = f"{self.plan.campaign_id}-{lead_id}-{next(self._ids)}"
        self.attempts[attempt_id] = Attempt(
            attempt_id, lead_id, number, self.plan.presented_number, now, agent=agent
        )
        return attempt_id

    def agent_not_reached(self, attempt_id: str) -> int | None:
        """The agent's phone did not take the call: no attempt made; the lead (returned) is
        his to dial or skip again."""
        attempt = self.attempts.pop(attempt_id, None)
        if attempt is None:
            return None
        return attempt.lead_id

    def customer_dial_ended(self, attempt_id: str, status: str, now: datetime) -> Outcome | None:
        """The customer's leg of a preview call: ``ANSWER`` connects him to the agent; busy,
        no answer or a failure ends the attempt (retried by the rules)."""
        attempt = self.attempts.get(attempt_id)
        if attempt is None or attempt.stage is not Stage.RINGING:
            return None
        if status.upper() == "ANSWER":
            attempt.stage, attempt.answered_at, attempt.connected_at = (Stage.CONNECTED, now, now)
            return None
        return self._finish(attempt, AGENT_DIAL_FAILED.get(status.upper(), Result.FAILED), now)

    # ------------------------------------------------------------------ control, figures
    def pause(self) -> None:
        """Place no new calls (calls in progress go on)."""
        self.status = "paused"

    def resume(self) -> None:
        """Dial again."""
        self.status = "running"

    def stop(self) -> None:
        """Place no new calls; the campaign is over for this run."""
        self.status = "stopped"

    def figures(self, now: datetime) -> CampaignFigures:
        """Dial level, lines, answered, abandon rate vs cap, short calls vs cap, leads left."""
        lines = len(self.attempts)
        presented = self.plan.caller_id and self.plan.presented_number
        short = self.short_calls.status(presented or "", now)
        agents = max(self._agents.logged_in, 1)
        campaign = self.plan.campaign_id
        return CampaignFigures(
            campaign_id=int(campaign) if campaign.isdigit() else 0,
            status=self.status,
            dial_level=round(lines / agents, 2),
            lines_in_use=lines,
            answered=self.ledger.live,
            connected=self.results.get(Result.HUMAN.value, 0)
            + sum(1 for a in self.attempts.values() if a.stage is Stage.CONNECTED),
            abandoned=self.ledger.abandoned,
            abandon_rate=round(self.ledger.rate(now), 4),
            abandon_cap=self.plan.max_abandon_rate,
            short_calls=short.count,
            short_call_cap=short.cap,
            short_call_warning=short.warning,
            remaining_leads=self.book.remaining(),
            results=dict(self.results),
            mode=self.plan.mode,
        )

    @property
    def done(self) -> bool:
        """No call in progress and no lead left to dial."""
        return not self.attempts and self.book.remaining() == 0

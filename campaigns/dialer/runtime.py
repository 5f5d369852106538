"""``Dialer``: runs campaigns against Asterisk; implements ``DialerControl``/``DialerFigures``.

One owned task drains the link's change records (the link's callback only enqueues) and ticks
every ``tick_interval`` seconds. Per record it feeds the campaign's :class:`DialerCore`:
``OriginateResponse`` (answered, busy, no answer, congestion), AMD's verdict (a person is
handed to the ACD, a machine left to ``[dialer-machine]``), the agent's bridge (connected),
the call's end (the lead's result, stored). Per tick: people past the connect window are
withdrawn from the ACD and sent to the safe-harbour message, then the pacer's calls are
originated.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog

from campaigns.dialer.callbacks import DIALLED, SKIPPED, Callback, SqlCallbackStore, next_due
from campaigns.dialer.core import Agents, DialerCore, Outcome, Stage
from campaigns.dialer.leads import DialLead
from campaigns.dialer.originate import (
    ACTION_PREFIX,
    DialerActions,
    DialerDialplan,
    channel_id,
)
from campaigns.dialer.plan import DialingPlan
from campaigns.domain.anatel import ShortCallCounter
from campaigns.domain.errors import CampaignError
from campaigns.port import (
    AgentHandoff,
    CampaignFigures,
    PersonReached,
    PreviewOffer,
    ScheduledCallback,
)
from telephony.calls.changes import (
    AmdResult,
    CallBridged,
    CallEnded,
    ChannelHungUp,
    DialEnded,
    OriginateResult,
)
from telephony.link import AsteriskLink
from telephony.tasks import cancel_and_wait

log = structlog.get_logger("campaigns.dialer")

EARLY_KEPT = 1000
RECENT_KEPT = 5000
OFFER_UNWATCHED = 60.0
"""Seconds an offer stays held once its agent's desk stopped asking (the page was closed)."""


def _scheduled(c: Callback) -> ScheduledCallback:
    return ScheduledCallback(
        c.id, c.number, c.due_at, c.agent, c.campaign, c.lead_id, c.name, c.note
    )


class PlanSource(Protocol):
    """Where the dialer reads a campaign's plan (the stored campaign, or a fixed set)."""

    async def plan(self, campaign_id: str) -> DialingPlan:
        """The campaign's plan; ``CampaignError`` (``campaign_not_found``) when unknown."""
        ...


class LeadStore(Protocol):
    """Leads with their dial state, and finished attempts (``SqlDialerStore``)."""

    async def leads(self, plan: DialingPlan) -> list[DialLead]:
        """The campaign's leads."""
        ...

    async def record(
        self, campaign_id: str, done: Sequence[tuple[Outcome, DialLead]], now: datetime
    ) -> None:
        """Store finished attempts and their leads' new state."""
        ...


@dataclass
class FixedPlans:
    """Plans given up front (tests, the demo)."""

    plans: dict[str, DialingPlan]

    async def plan(self, campaign_id: str) -> DialingPlan:
        """The plan, or ``campaign_not_found``."""
        try:
            return self.plans[campaign_id]
        except KeyError:
            raise CampaignError("campaign_not_found", f"no campaign {campaign_id!r}") from None


@dataclass
class _Run:
    core: DialerCore
    calls: dict[str, str] = field(default_factory=dict)  # attempt -> linkedid
    channels: dict[str, str] = field(default_factory=dict)  # attempt -> channel running [dialer]
    done: list[tuple[Outcome, DialLead]] = field(default_factory=list)
    cancelled: set[str] = field(default_factory=set)  # ringing calls hung up by the pacer


class Dialer:
    """The dialer runtime (see the module's docstring)."""

    def __init__(
        self,
        link: AsteriskLink,
        handoff: AgentHandoff,
        store: LeadStore,
        plans: PlanSource,
        *,
        server: str = "pbx1",
        dialplan: DialerDialplan | None = None,
        clock: Callable[[], float] = time.time,
        tick_interval: float = 0.5,
        max_lines: int = 60,
        callbacks: SqlCallbackStore | None = None,
    ) -> None:
        self.link, self.handoff, self.store, self.plans = link, handoff, store, plans
        self.server = server
        self.actions = DialerActions(link, server, dialplan or DialerDialplan())
        self.clock = clock
        self.tick_interval = tick_interval
        self.max_lines = max_lines
        self.short_calls = ShortCallCounter()  # per day and presented number, all campaigns
        self.runs: dict[str, _Run] = {}
        self._attempts: dict[str, str] = {}  # attempt -> campaign
        self._by_call: dict[str, str] = {}  # linkedid -> attempt
        self._early: OrderedDict[str, AmdResult] = OrderedDict()  # AMD before its Originate
        self._inbox: asyncio.Queue[Sequence[Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._lock = asyncio.Lock()
        # preview: the lead held for each agent, the call each agent is placing (attempt),
        # the leads each agent skipped per campaign, the click-to-call ActionIDs
        self._offers: dict[str, PreviewOffer] = {}
        self._placing: dict[str, str] = {}
        self._skipped: dict[tuple[str, str], set[int]] = {}
        self._preview_actions: dict[str, tuple[str, PreviewOffer]] = {}
        # callbacks: the store, those still to place, what the agents' calls were
        self.callbacks = callbacks
        self._callbacks: dict[int, Callback] = {}
        self._recent: OrderedDict[str, PreviewOffer] = OrderedDict()  # linkedid -> lead
        self._last_lead: dict[str, PreviewOffer] = {}  # agent -> last lead he dialled
        self._asked: dict[str, float] = {}  # agent -> when his desk last asked (monotonic)
        self._dialling_callbacks: set[int] = set()  # the agent's phone rings for them
        self._closing: list[tuple[int, str]] = []  # placed callbacks to store as dialled

    # ------------------------------------------------------------------ life cycle
    async def open(self) -> None:
        """Follow the link's records and start the dialer's task."""
        if self.callbacks is not None:
            self._callbacks = {c.id: c for c in await self.callbacks.pending()}
        self._unsubscribe = self.link.subscribe(self._on_changes)
        self._task = asyncio.create_task(self._loop(), name="dialer")

    async def close(self) -> None:
        """Stop dialing (calls in progress are left to Asterisk) and store what finished."""
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._task is not None:
            await cancel_and_wait([self._task])
        try:
            await self._close_callbacks()
        except Exception:
            log.exception("dialer_callbacks_not_stored", n=len(self._closing))
        for campaign_id, run in self.runs.items():
            try:
                await self.store.record(campaign_id, run.done, self._now())
            except Exception:
                log.exception("dialer_attempts_not_stored", campaign=campaign_id, n=len(run.done))
            run.done = []

    def _on_changes(self, records: Sequence[Any]) -> None:
        # with no campaign running and no preview dial waiting for its answer no record can
        # be ours (an attempt exists only inside a run): the loop is not woken for them
        if self.runs or self._preview_actions:
            self._inbox.put_nowait(records)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    # ------------------------------------------------------------------ DialerControl
    async def start(self, campaign_id: int | str) -> None:
        """Dial the campaign (a paused one resumes); ``CampaignError`` when it cannot run
        (unknown, a Brazilian telemarketing caller id without 0303)."""
        campaign_id = str(campaign_id)
        async with self._lock:
            run = self.runs.get(campaign_id)
            if run is not None and run.core.status != "stopped":
                run.core.resume()
                log.info("dialer_campaign_resumed", campaign=campaign_id)
                return
            plan = await self.plans.plan(campaign_id)
            plan.presented_number  # noqa: B018 (raises caller_id_not_0303)
            leads = await self.store.leads(plan)
            core = DialerCore(plan, leads, self._now(), short_calls=self.short_calls)
            self.runs[campaign_id] = _Run(core)
            self._nudge()
            log.info("dialer_campaign_started", campaign=campaign_id, leads=len(leads))

    async def pause(self, campaign_id: int | str) -> None:
        """No new calls (no preview lead offered); calls in progress go on."""
        run = self.runs.get(str(campaign_id))
        if run is not None:  # a campaign the dialer does not run has nothing to pause
            run.core.pause()
            await self._withdraw_offers(str(campaign_id))
        log.info("dialer_campaign_paused", campaign=str(campaign_id), running=run is not None)

    async def stop(self, campaign_id: int | str) -> None:
        """No new calls; a later start loads the campaign again."""
        run = self.runs.get(str(campaign_id))
        if run is not None:
            run.core.stop()
            await self._withdraw_offers(str(campaign_id))
        log.info("dialer_campaign_stopped", campaign=str(campaign_id), running=run is not None)

    # ------------------------------------------------------------------ DialerFigures
    def figures(self, campaign_id: int | str) -> CampaignFigures | None:
        """The campaign's live figures (None when the dialer never ran it)."""
        run = self.runs.get(str(campaign_id))
        if run is None:
            return None
        figures = run.core.figures(self._now())
        if run.core.done:
            figures = replace(figures, status="finished")
        return figures

    def all_figures(self) -> list[CampaignFigures]:
        """Every campaign run since the start."""
        return [f for c in sorted(self.runs) if (f := self.figures(c)) is not None]

    # ------------------------------------------------------------------ preview
    async def preview_offer(self, agent_id: str) -> PreviewOffer | None:
        """The lead held for the agent, else (while he is available) a callback due for him or
        anyone, else the next lead of a running preview campaign of a queue he serves (held
        for him from now on: the ACD offers him no call until he dials or skips it, or it is
        let go); None when there is none."""
        self._asked[agent_id] = time.monotonic()
        held = self._offers.get(agent_id)
        if held is not None:
            # held again after he logged out and in, or came back from a pause meanwhile
            await self.handoff.hold_for_preview(agent_id)
            return held
        if agent_id in self._placing:
            return None
        now = self._now()
        taken = {o.callback_id for o in self._offers.values() if o.callback_id is not None}
        taken |= self._dialling_callbacks
        # a callback waits while its lead is being dialled (pacer, another agent's preview)
        taken |= {c.id for c in self._callbacks.values() if self._lead_in_flight(c)}
        due = next_due(self._callbacks.values(), agent_id, now, taken)
        if due is not None and self.handoff.agent_free(agent_id):
            if not await self.handoff.hold_for_preview(agent_id):
                return None  # a call reached him meanwhile
            lead = self._callback_lead(due)
            if lead is not None:  # held for the agent: nobody else dials it meanwhile
                lead.in_flight = True
            return self._hold(agent_id, self._callback_offer(agent_id, due))
        for campaign_id, run in sorted(self.runs.items()):
            core = run.core
            if core.plan.mode != "preview" or core.status != "running":
                continue
            if not self.handoff.agent_serves(agent_id, core.plan.queue):
                continue
            found = core.offer(now, self._skipped.get((campaign_id, agent_id), ()))
            if found is None:
                continue
            lead, number = found
            if not await self.handoff.hold_for_preview(agent_id):
                core.release(lead.lead_id)  # a call reached him meanwhile
                return None
            offer = PreviewOffer(
                campaign_id=campaign_id,
                agent=agent_id,
                lead_id=lead.lead_id,
                name=lead.name,
                number=number,
                state=lead.state,
                customer_id=lead.customer_id or None,
                caller_id=core.plan.presented_number,
            )
            return self._hold(agent_id, offer)
        return None

    def _hold(self, agent_id: str, offer: PreviewOffer) -> PreviewOffer:
        self._offers[agent_id] = offer
        self._nudge()
        log.info("dialer_preview_offered", campaign=offer.campaign_id, agent=agent_id,
                 lead=offer.lead_id, callback=offer.callback_id)  # fmt: skip
        return offer

    def _callback_lead(self, callback: Callback) -> DialLead | None:
        """The lead of a running campaign the callback calls back (None: no such lead)."""
        run = self.runs.get(callback.campaign)
        return run.core.book.leads.get(callback.lead_id or 0) if run is not None else None

    def _lead_in_flight(self, callback: Callback) -> bool:
        lead = self._callback_lead(callback)
        return lead is not None and lead.in_flight

    def _release_callback_lead(self, offer: PreviewOffer) -> None:
        """A callback offer not dialled: its lead may be dialled by others again."""
        run = self.runs.get(offer.campaign_id)
        if run is not None and offer.lead_id in run.core.book.leads:
            run.core.release(offer.lead_id)

    def _callback_offer(self, agent_id: str, due: Callback) -> PreviewOffer:
        run = self.runs.get(due.campaign)
        lead = self._callback_lead(due)
        return PreviewOffer(
            campaign_id=due.campaign,
            agent=agent_id,
            lead_id=due.lead_id or 0,
            name=due.name,
            number=due.number,
            state=lead.state if lead is not None else "",
            customer_id=due.customer_id or None,
            caller_id=run.core.plan.presented_number if run is not None else "",
            callback_id=due.id,
            due_at=due.due_at,
            note=due.note,
        )

    def _held(self, agent_id: str, lead_id: int, callback_id: int | None) -> PreviewOffer:
        offer = self._offers.get(agent_id)
        if (
            offer is None
            or offer.callback_id != callback_id
            or (offer.lead_id != lead_id and callback_id is None)
            or (callback_id is None and offer.campaign_id not in self.runs)
        ):
            what = f"callback {callback_id}" if callback_id is not None else f"lead {lead_id}"
            raise CampaignError("no_preview_lead", f"{what} is not offered to you")
        return offer

    async def preview_skip(self, agent_id: str, lead_id: int, callback_id: int | None) -> None:
        """The agent passes over the lead he was offered (back in line for the others, not
        offered to him again in this run) or the callback (not placed); ``no_preview_lead``
        when it is not his."""
        offer = self._held(agent_id, lead_id, callback_id)
        del self._offers[agent_id]
        if offer.callback_id is not None:
            self._callbacks.pop(offer.callback_id, None)
            self._release_callback_lead(offer)
            if self.callbacks is not None:
                await self.callbacks.close(offer.callback_id, SKIPPED, agent_id, self._now())
        else:
            self.runs[offer.campaign_id].core.release(lead_id)
            self._skipped.setdefault((offer.campaign_id, agent_id), set()).add(lead_id)
        await self.handoff.release_preview(agent_id)
        log.info("dialer_preview_skipped", campaign=offer.campaign_id, agent=agent_id,
                 lead=lead_id, callback=callback_id)  # fmt: skip

    async def preview_dial(self, agent_id: str, lead_id: int, callback_id: int | None) -> str:
        """The agent dials the lead or callback he was offered: his phone rings, his answer
        dials the number with the campaign's caller id (the ACD's click-to-call); the
        attempt's id ("" for a callback of no running campaign's lead). The ACD's refusals
        (``agent_busy``...) are raised and the offer stays his."""
        offer = self._held(agent_id, lead_id, callback_id)
        run = self.runs.get(offer.campaign_id)
        now = self._now()
        attempt = ""
        if run is not None and offer.lead_id in run.core.book.leads:
            attempt = run.core.agent_dialled(offer.lead_id, offer.number, agent_id, now)
            self._attempts[attempt] = offer.campaign_id
            self._placing[agent_id] = attempt
        del self._offers[agent_id]
        variables = {
            "CAMPAIGN_ID": offer.campaign_id,
            "LEAD_ID": str(offer.lead_id),
            "CAMPAIGN_CALLERID": offer.caller_id,
        }
        try:
            action_id = await self.handoff.agent_dial(
                agent_id, offer.number, offer.customer_id, variables
            )
        except BaseException:
            self._offers[agent_id] = offer
            self._nudge()
            self._placing.pop(agent_id, None)
            if attempt and run is not None:
                self._attempts.pop(attempt, None)
                run.core.agent_not_reached(attempt)
            raise
        self._last_lead[agent_id] = offer
        if offer.callback_id is not None:  # closed once the agent's phone answers
            self._dialling_callbacks.add(offer.callback_id)
        self._preview_actions[action_id] = (attempt, offer)
        log.info("dialer_preview_dialled", campaign=offer.campaign_id, agent=agent_id,
                 lead=offer.lead_id, callback=callback_id, attempt=attempt)  # fmt: skip
        return attempt

    def _agent_answered(self, record: OriginateResult) -> None:
        attempt, offer = self._preview_actions.pop(record.action_id)
        run = self.runs.get(offer.campaign_id)
        if offer.callback_id is not None:
            self._dialling_callbacks.discard(offer.callback_id)
        if record.success:
            if offer.callback_id is not None:  # placed: stored as dialled at the next tick
                self._callbacks.pop(offer.callback_id, None)
                self._closing.append((offer.callback_id, offer.agent))
            if run is not None and attempt and record.linkedid:
                run.calls[attempt] = record.linkedid
                self._by_call[record.linkedid] = attempt
            if record.linkedid:
                self._remember(record.linkedid, offer)
            return
        # his phone did not answer: no attempt; the lead (or callback) is his to dial or skip
        self._placing.pop(offer.agent, None)
        if run is not None and attempt:
            self._attempts.pop(attempt, None)
            run.core.agent_not_reached(attempt)
        self._offers[offer.agent] = offer
        self._nudge()
        log.info("dialer_preview_agent_missed", agent=offer.agent, lead=offer.lead_id,
                 callback=offer.callback_id)  # fmt: skip

    async def _close_callbacks(self) -> None:
        """Store the callbacks placed since the last tick as dialled."""
        while self._closing and self.callbacks is not None:
            callback_id, agent = self._closing[0]
            await self.callbacks.close(callback_id, DIALLED, agent, self._now())
            self._closing.pop(0)

    def _customer_dial_ended(
        self, run: _Run, attempt: str, record: DialEnded, now: datetime
    ) -> None:
        call = run.core.attempts.get(attempt)
        if call is None or not call.agent or not record.source:
            return  # a dialer call's agent leg; the Originate of the agent's phone
        outcome = run.core.customer_dial_ended(attempt, record.status, now)
        if outcome is not None:
            self._finished(run, attempt, outcome)

    async def _withdraw_offers(self, campaign_id: str) -> None:
        run = self.runs.get(campaign_id)
        for agent, offer in list(self._offers.items()):
            if offer.campaign_id == campaign_id and offer.callback_id is None:
                del self._offers[agent]
                if run is not None:
                    run.core.release(offer.lead_id)
                await self.handoff.release_preview(agent)

    def _remember(self, linkedid: str, offer: PreviewOffer) -> None:
        self._recent[linkedid] = offer
        if len(self._recent) > RECENT_KEPT:
            self._recent.popitem(last=False)

    # ------------------------------------------------------------------ callbacks
    async def schedule_callback(
        self,
        agent_id: str,
        call_id: str | None,
        at: datetime,
        anyone: bool,
        note: str,
        known: PreviewOffer | None = None,
    ) -> ScheduledCallback:
        """A callback of the agent's call at ``at`` for him (or ``anyone``): the dialer's call
        ``call_id`` (its campaign and lead), else his last preview lead or callback; an
        inbound call's number when the desk knows it (``known``). ``no_call`` when none,
        ``callback_in_past`` for a time gone."""
        if self.callbacks is None:
            raise CampaignError("dialer_unavailable", "callbacks are not stored")
        now = self._now()
        if at.tzinfo is None or at < now:
            raise CampaignError("callback_in_past", "a callback is for a time still to come")
        ref = self._recent.get(call_id) if call_id else self._last_lead.get(agent_id)
        if ref is not None and ref.agent != agent_id:
            ref = None  # another agent's call
        ref = ref or known
        if ref is None:
            raise CampaignError("no_call", "no call of yours to call back")
        stored = await self.callbacks.add(
            Callback(
                0, ref.number, at, None if anyone else agent_id, ref.campaign_id,
                ref.lead_id or None, ref.name, ref.customer_id or "", note, agent_id,
            ),
            now,
        )  # fmt: skip
        self._callbacks[stored.id] = stored
        log.info("dialer_callback_scheduled", callback=stored.id, agent=agent_id,
                 anyone=anyone, due_at=at.isoformat(), campaign=ref.campaign_id)  # fmt: skip
        return _scheduled(stored)

    def callbacks_of(self, agent_id: str) -> list[ScheduledCallback]:
        """Callbacks still to place that the agent may get: his and anyone's, earliest first."""
        mine = [c for c in self._callbacks.values() if c.agent in (None, agent_id)]
        return [_scheduled(c) for c in sorted(mine, key=lambda c: (c.due_at, c.id))]

    # ------------------------------------------------------------------ the task
    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        next_tick = loop.time()
        while True:
            records: Sequence[Any] | None = None
            if self._idle():  # no tick has anything to do: sleep until records or a nudge
                records = await self._inbox.get()
            else:
                try:  # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancel
                    async with asyncio.timeout_at(next_tick):
                        records = await self._inbox.get()
                except TimeoutError:
                    pass
            try:
                while records is not None:
                    self._records(records)
                    records = self._inbox.get_nowait() if not self._inbox.empty() else None
                if loop.time() >= next_tick:
                    next_tick = loop.time() + self.tick_interval
                    await self._tick()
            except Exception:
                log.exception("dialer_loop_failed")

    def _idle(self) -> bool:
        """Whether a tick has nothing to do: no campaign run (a stopped one still ticks), no
        preview lead held for an agent, no placed callback to store."""
        return not self.runs and not self._offers and not self._closing

    def _nudge(self) -> None:
        """Wake the idle loop: a tick has something to do now (it ticks at once, then every
        ``tick_interval``)."""
        self._inbox.put_nowait(())

    def _attempt_of(self, linkedid: str) -> tuple[_Run, str] | None:
        attempt = self._by_call.get(linkedid)
        campaign = self._attempts.get(attempt or "")
        run = self.runs.get(campaign or "")
        return (run, attempt) if run is not None and attempt is not None else None

    def _records(self, records: Sequence[Any]) -> None:
        now = self._now()
        for record in records:
            if getattr(record, "server", None) != self.server:
                continue
            if isinstance(record, OriginateResult):
                self._originated(record, now)
                continue
            found = self._attempt_of(getattr(record, "linkedid", ""))
            if isinstance(record, AmdResult):
                if found is None:
                    self._early[record.linkedid] = record
                    if len(self._early) > EARLY_KEPT:
                        self._early.popitem(last=False)
                else:
                    self._amd(found[0], found[1], record, now)
            elif found is None:
                continue
            elif isinstance(record, DialEnded):
                self._customer_dial_ended(found[0], found[1], record, now)
            elif isinstance(record, CallBridged):
                found[0].core.connected(found[1], now)
            elif isinstance(record, ChannelHungUp):
                self._check_message(record, found[1])
            elif isinstance(record, CallEnded):
                self._ended(found[0], found[1], now)

    def _originated(self, record: OriginateResult, now: datetime) -> None:
        if record.action_id in self._preview_actions:
            self._agent_answered(record)
            return
        if not record.action_id.startswith(ACTION_PREFIX):
            return
        attempt = record.action_id.removeprefix(ACTION_PREFIX)
        run = self.runs.get(self._attempts.get(attempt, ""))
        if run is None:
            return
        if not record.success:
            # a call the pacer hung up rang its minimum time: no answer, not a failure
            reason = "3" if attempt in run.cancelled else record.reason
            outcome = run.core.not_answered(attempt, reason, now)
            log.info("dialer_not_answered", attempt=attempt, reason=record.reason_text)
            self._finished(run, attempt, outcome)
            return
        run.core.answered(attempt, now)
        run.channels[attempt] = record.channel
        if record.linkedid:
            run.calls[attempt] = record.linkedid
            self._by_call[record.linkedid] = attempt
            early = self._early.pop(record.linkedid, None)
            if early is not None:
                self._amd(run, attempt, early, now)

    def _amd(self, run: _Run, attempt: str, record: AmdResult, now: datetime) -> None:
        stage = run.core.amd(attempt, record.result, record.cause or "", now)
        log.info("dialer_amd", attempt=attempt, result=record.result, cause=record.cause)
        if stage is not Stage.WAITING:
            return
        plan, call = run.core.plan, run.core.attempts[attempt]
        lead = run.core.book.leads[call.lead_id]
        run.channels[attempt] = record.channel
        self.handoff.person_reached(
            PersonReached(
                call_id=record.linkedid,
                channel=record.channel,
                queue=plan.queue,
                number=call.number,
                campaign_id=plan.campaign_id,
                lead_id=str(call.lead_id),
                customer_id=lead.customer_id or None,
                priority=plan.priority,
            )
        )
        self._remember(  # the agent who takes the person may schedule a callback
            record.linkedid,
            PreviewOffer(
                plan.campaign_id, "", call.lead_id, lead.name, call.number, lead.state,
                lead.customer_id or None, plan.presented_number,
            ),
        )  # fmt: skip

    def _check_message(self, record: ChannelHungUp, attempt: str) -> None:
        channel = self.link.tracker.channel(self.server, record.uniqueid)
        if channel is not None and channel.variables.get("ATENDE_DIALER_MESSAGE") == "FAILED":
            log.error(
                "dialer_message_missing",
                attempt=attempt,
                result=channel.variables.get("ATENDE_DIALER_RESULT", ""),
            )

    def _ended(self, run: _Run, attempt: str, now: datetime) -> None:
        outcome = run.core.ended(attempt, now)
        self._finished(run, attempt, outcome)

    def _finished(self, run: _Run, attempt: str, outcome: Outcome | None) -> None:
        self._attempts.pop(attempt, None)
        for agent, placing in list(self._placing.items()):
            if placing == attempt:
                del self._placing[agent]
        run.cancelled.discard(attempt)
        linkedid = run.calls.pop(attempt, None)
        if linkedid is not None:
            self._by_call.pop(linkedid, None)
        run.channels.pop(attempt, None)
        if outcome is None:
            return
        lead = run.core.book.leads[outcome.attempt.lead_id]
        run.done.append((outcome, lead))
        log.info(
            "dialer_call_finished",
            attempt=attempt,
            result=outcome.result.value,
            lead=lead.lead_id,
            final=outcome.decision.final,
            short_call=outcome.short_call,
        )

    async def _release_unwatched(self) -> None:
        """Offers whose agent's desk stopped asking (closed) go back in line; the agent may
        be offered calls again."""
        now = time.monotonic()
        for agent, offer in list(self._offers.items()):
            if now - self._asked.get(agent, now) < OFFER_UNWATCHED:
                continue
            del self._offers[agent]
            run = self.runs.get(offer.campaign_id)
            if offer.callback_id is not None:
                self._release_callback_lead(offer)
            elif run is not None:
                run.core.release(offer.lead_id)
            await self.handoff.release_preview(agent)
            log.info("dialer_preview_unwatched", agent=agent, lead=offer.lead_id,
                     callback=offer.callback_id)  # fmt: skip

    async def _tick(self) -> None:
        now = self._now()
        await self._release_unwatched()
        try:
            await self._close_callbacks()
        except Exception:  # kept for the next tick
            log.exception("dialer_callbacks_not_stored", n=len(self._closing))
        in_use = sum(len(run.core.attempts) for run in self.runs.values())
        for campaign_id, run in list(self.runs.items()):
            await self._abandon_due(run, now)
            if run.core.status == "running":
                in_use = await self._dial(run, now, in_use)
            if run.done:
                done, run.done = run.done, []
                try:
                    await self.store.record(campaign_id, done, now)
                except Exception:  # kept for the next tick
                    run.done = done + run.done
                    log.exception("dialer_attempts_not_stored", campaign=campaign_id)

    async def _abandon_due(self, run: _Run, now: datetime) -> None:
        for attempt in run.core.due_abandons(now):
            linkedid = run.calls.get(attempt)
            withdrawn = linkedid is None or await self.handoff.withdraw(linkedid)
            if not withdrawn:
                run.core.connected(attempt, now)  # the agent answered; the bridge follows
                continue
            run.core.abandoned(attempt, now)
            log.info("dialer_abandoned", attempt=attempt, linkedid=linkedid)
            channel = run.channels.get(attempt)
            if channel is not None:
                await self.actions.safe_harbour(channel, attempt)

    async def _dial(self, run: _Run, now: datetime, in_use: int) -> int:
        core = run.core
        view = self.handoff.queue_agents(core.plan.queue)
        agents = Agents(view.free, tuple(view.busy), view.wrap_up_seconds)
        orders = core.tick(now, agents, max(0, self.max_lines - in_use))
        for attempt in orders.cancel:  # agents left: ringing calls the window cannot take
            run.cancelled.add(attempt)
            log.info("dialer_hang_up", campaign=core.plan.campaign_id, attempt=attempt)
            await self.actions.hang_up(attempt)
        if not orders.dial:
            return in_use
        for dial in orders.dial:
            self._attempts[dial.attempt_id] = core.plan.campaign_id
            linkedid = channel_id(dial.attempt_id)  # Originate's ChannelId
            run.calls[dial.attempt_id] = linkedid
            self._by_call[linkedid] = dial.attempt_id
        placed = await asyncio.gather(*(self.actions.originate(core.plan, d) for d in orders.dial))
        for dial, ok in zip(orders.dial, placed, strict=True):
            if not ok:
                self._finished(run, dial.attempt_id, core.not_answered(dial.attempt_id, "0", now))
        log.debug(
            "dialer_tick",
            campaign=core.plan.campaign_id,
            dialled=len(orders.dial),
            mode=orders.decision.mode if orders.decision else "",
            free=agents.free,
        )
        return in_use + len(orders.dial)

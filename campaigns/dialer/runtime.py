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
from campaigns.port import AgentHandoff, CampaignFigures, PersonReached, PreviewOffer
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

    # ------------------------------------------------------------------ life cycle
    async def open(self) -> None:
        """Follow the link's records and start the dialer's task."""
        self._unsubscribe = self.link.subscribe(self._on_changes)
        self._task = asyncio.create_task(self._loop(), name="dialer")

    async def close(self) -> None:
        """Stop dialing (calls in progress are left to Asterisk) and store what finished."""
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._task is not None:
            await cancel_and_wait([self._task])
        for campaign_id, run in self.runs.items():
            try:
                await self.store.record(campaign_id, run.done, self._now())
            except Exception:
                log.exception("dialer_attempts_not_stored", campaign=campaign_id, n=len(run.done))
            run.done = []

    def _on_changes(self, records: Sequence[Any]) -> None:
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
            log.info("dialer_campaign_started", campaign=campaign_id, leads=len(leads))

    async def pause(self, campaign_id: int | str) -> None:
        """No new calls (no preview lead offered); calls in progress go on."""
        run = self.runs.get(str(campaign_id))
        if run is not None:  # a campaign the dialer does not run has nothing to pause
            run.core.pause()
            self._withdraw_offers(str(campaign_id))
        log.info("dialer_campaign_paused", campaign=str(campaign_id), running=run is not None)

    async def stop(self, campaign_id: int | str) -> None:
        """No new calls; a later start loads the campaign again."""
        run = self.runs.get(str(campaign_id))
        if run is not None:
            run.core.stop()
            self._withdraw_offers(str(campaign_id))
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
    def preview_offer(self, agent_id: str) -> PreviewOffer | None:
        """The lead held for the agent, else the next one of a running preview campaign of a
        queue he serves (held for him from now on); None when there is none, or while he
        places a call or is not available."""
        held = self._offers.get(agent_id)
        if held is not None:
            return held
        if agent_id in self._placing:
            return None
        now = self._now()
        for campaign_id, run in sorted(self.runs.items()):
            core = run.core
            if core.plan.mode != "preview" or core.status != "running":
                continue
            if not self.handoff.agent_serves(agent_id, core.plan.queue):
                continue
            taken = core.offer(now, self._skipped.get((campaign_id, agent_id), ()))
            if taken is None:
                continue
            lead, number = taken
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
            self._offers[agent_id] = offer
            log.info("dialer_preview_offered", campaign=campaign_id, agent=agent_id,
                     lead=lead.lead_id)  # fmt: skip
            return offer
        return None

    def _held(self, agent_id: str, lead_id: int) -> tuple[PreviewOffer, _Run]:
        offer = self._offers.get(agent_id)
        run = self.runs.get(offer.campaign_id) if offer is not None else None
        if offer is None or run is None or offer.lead_id != lead_id:
            raise CampaignError("no_preview_lead", f"lead {lead_id} is not offered to you")
        return offer, run

    def preview_skip(self, agent_id: str, lead_id: int) -> None:
        """The agent passes over the lead he was offered: back in line for the others, not
        offered to him again in this run; ``no_preview_lead`` when it is not his."""
        offer, run = self._held(agent_id, lead_id)
        del self._offers[agent_id]
        run.core.release(lead_id)
        self._skipped.setdefault((offer.campaign_id, agent_id), set()).add(lead_id)
        log.info("dialer_preview_skipped", campaign=offer.campaign_id, agent=agent_id,
                 lead=lead_id)  # fmt: skip

    async def preview_dial(self, agent_id: str, lead_id: int) -> str:
        """The agent dials the lead he was offered: his phone rings, his answer dials the
        lead with the campaign's caller id (the ACD's click-to-call); the attempt's id. The
        ACD's refusals (``agent_busy``...) are raised and the lead stays his."""
        offer, run = self._held(agent_id, lead_id)
        core = run.core
        attempt = core.agent_dialled(lead_id, offer.number, agent_id, self._now())
        self._attempts[attempt] = offer.campaign_id
        self._placing[agent_id] = attempt
        del self._offers[agent_id]
        variables = {
            "CAMPAIGN_ID": offer.campaign_id,
            "LEAD_ID": str(lead_id),
            "CAMPAIGN_CALLERID": offer.caller_id,
        }
        try:
            action_id = await self.handoff.agent_dial(
                agent_id, offer.number, offer.customer_id, variables
            )
        except BaseException:
            self._offers[agent_id] = offer
            self._placing.pop(agent_id, None)
            self._attempts.pop(attempt, None)
            core.agent_not_reached(attempt)
            raise
        self._preview_actions[action_id] = (attempt, offer)
        log.info("dialer_preview_dialled", campaign=offer.campaign_id, agent=agent_id,
                 lead=lead_id, attempt=attempt)  # fmt: skip
        return attempt

    def _agent_answered(self, record: OriginateResult) -> None:
        attempt, offer = self._preview_actions.pop(record.action_id)
        run = self.runs.get(offer.campaign_id)
        if run is None:
            return
        if record.success and record.linkedid:
            run.calls[attempt] = record.linkedid
            self._by_call[record.linkedid] = attempt
            return
        # his phone did not answer: no attempt; the lead is his to dial or skip again
        self._attempts.pop(attempt, None)
        self._placing.pop(offer.agent, None)
        if run.core.agent_not_reached(attempt) is not None:
            self._offers[offer.agent] = offer
        log.info("dialer_preview_agent_missed", agent=offer.agent, lead=offer.lead_id)

    def _customer_dial_ended(
        self, run: _Run, attempt: str, record: DialEnded, now: datetime
    ) -> None:
        call = run.core.attempts.get(attempt)
        if call is None or not call.agent or not record.source:
            return  # a dialer call's agent leg; the Originate of the agent's phone
        outcome = run.core.customer_dial_ended(attempt, record.status, now)
        if outcome is not None:
            self._finished(run, attempt, outcome)

    def _withdraw_offers(self, campaign_id: str) -> None:
        run = self.runs.get(campaign_id)
        for agent, offer in list(self._offers.items()):
            if offer.campaign_id == campaign_id:
                del self._offers[agent]
                if run is not None:
                    run.core.release(offer.lead_id)

    # ------------------------------------------------------------------ the task
    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        next_tick = loop.time()
        while True:
            records: Sequence[Any] | None = None
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

    async def _tick(self) -> None:
        now = self._now()
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
        agents = Agents(view.free, tuple(view.busy_elapsed), view.wrap_up_seconds)
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

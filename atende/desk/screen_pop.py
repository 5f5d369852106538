"""The screen-pop: follows the ACD's agent feed and pushes to the agent's sockets.

The feed's callback only enqueues. One owned task reads the events in order: every event
pushes the agent's state; a reservation starts the customer lookup of the caller's number
(the cache the IVR warmed; a CPF/CNPJ the caller typed in the IVR that names a customer
comes first) in a task of its own, which sends the ``offer`` with the view (one
customer) or the ``candidates`` (several: the agent picks); an answer sends the view again; the
call's end writes the interaction (shown in the view's last interactions) and sends the view.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import structlog

from acd.app.models import CustomerRef
from acd.live.feed import AgentEvent, AgentFeed
from atende.desk.calls import DeskCall, customer_key
from atende.desk.service import AgentDesk, utc
from crm_sync.app.interactions import record_interaction
from crm_sync.app.warm_up import Ready, WarmUp
from crm_sync.domain.errors import CrmError
from crm_sync.domain.interactions import Interaction
from erp_bridge.domain.errors import ErpError
from telephony.tasks import cancel_and_wait

log = structlog.get_logger("atende.desk")

BACKLOG = 20_000
JOIN_WARM_UP = 1.0  # seconds an offer waits for its number's warm-up under way, at most
LOOKUPS = 2_000  # customer lookups running at once at most


class ScreenPop:
    """The feed's consumer (``start``/``stop`` own its tasks)."""

    def __init__(
        self,
        desk: AgentDesk,
        feed: AgentFeed,
        warm_up: WarmUp | None = None,
        channels_of: Callable[[str], list[str]] | None = None,
    ) -> None:
        self.desk = desk
        self._feed = feed
        self._warm_up = warm_up  # the pops of the numbers the IVR just warmed (in the process)
        # a call's channels (uniqueids) as the IVR reported them: given when the IVR asks
        # for a CPF/CNPJ, whose warm-up is keyed by the IVR channel's uniqueid
        self._channels_of = channels_of
        self._inbox: asyncio.Queue[AgentEvent] = asyncio.Queue(BACKLOG)
        self._task: asyncio.Task[None] | None = None
        self._jobs: set[asyncio.Task[None]] = set()
        self._unsubscribe: Any = None

    def on_event(self, event: AgentEvent) -> None:
        """The feed's callback: enqueue only."""
        try:
            self._inbox.put_nowait(event)
        except asyncio.QueueFull:
            log.error("agent_event_dropped", kind=event.kind, agent=event.agent_id)

    async def start(self) -> None:
        """Subscribe and start the consumer."""
        self._unsubscribe = self._feed.subscribe(self.on_event)
        self._task = asyncio.create_task(self._consume(), name="agent-desk-feed")

    async def stop(self) -> None:
        """Unsubscribe; cancel the consumer and the lookups running."""
        if self._unsubscribe is not None:
            self._unsubscribe()
        tasks = [t for t in (self._task, *self._jobs) if t is not None]
        await cancel_and_wait(tasks)

    async def _consume(self) -> None:
        while True:
            event = await self._inbox.get()
            try:
                self._handle(event)
            except Exception:
                log.exception("agent_event_failed", kind=event.kind, agent=event.agent_id)

    def _handle(self, event: AgentEvent) -> None:
        desk = self.desk
        if event.kind == "reserved" and event.call_id:
            call = desk.calls.reserved(
                DeskCall(
                    event.call_id,
                    event.agent_id,
                    event.queue,
                    event.caller,
                    event.entered_at if event.entered_at is not None else event.at,
                    event.at,
                    lead_customer=event.customer_id,
                )
            )
            ready, warm_up, ids = None, self._warm_up, self._call_ids(call)
            if warm_up is not None and not warm_up.typing(ids):
                ready = warm_up.typed(ids)
                if ready is None and call.caller:
                    ready = warm_up.ready(call.caller)
            warmed = self._warmed(call, ready)
            if warmed is not None:  # the fast path: sent now, nothing to read
                self._send_offer(call, *warmed)
            else:
                self._spawn(self._offer(call))
        elif event.kind in ("answered", "ended") and event.call_id:
            known = desk.calls.of(event.agent_id, event.call_id)
            if known is not None:
                if event.kind == "answered":
                    known.answered_at = event.at
                    self._spawn(self._send_view(known))
                else:
                    known.ended_at = event.at
                    self._spawn(self._ended(known))
        desk.push_state(event.agent_id)

    def _spawn(self, job: Coroutine[Any, Any, None]) -> None:
        if len(self._jobs) >= LOOKUPS:
            log.warning("agent_desk_busy")
            job.close()
            return
        # the job itself is the task: one cancelled before its first step is still closed
        # (a wrapper cancelled that early would leave the job never awaited)
        task = asyncio.create_task(job)
        self._jobs.add(task)
        task.add_done_callback(self._job_done)

    def _job_done(self, task: asyncio.Task[None]) -> None:
        """A lookup or a write that fails is logged; the desktop goes on."""
        self._jobs.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("agent_desk_job_failed", exc_info=error)

    async def _offer(self, call: DeskCall) -> None:
        """Look the caller up and send the offer (view or candidates): a dialer call whose
        lead names its customer pops that customer; else the caller's number is looked up."""
        view: dict[str, Any] | None = None
        customers: list[CustomerRef] = []
        views = self.desk.views
        if views is not None and call.lead_customer:
            view, customers = await self._lead_customer(call)
        elif self._warm_up is not None:
            if self._channels_of is not None:  # a CPF/CNPJ typed in the IVR comes first
                typed = await self._typed(call)
                if typed is not None:
                    self._send_offer(call, *typed)
                    self.desk.push_state(call.agent)
                    return
            if call.caller:  # its warm-up may be under way
                ready = await self._warm_up.ready_soon(call.caller, JOIN_WARM_UP)
                warmed = self._warmed(call, ready)
                if warmed is not None:
                    self._send_offer(call, *warmed)
                    self.desk.push_state(call.agent)
                    return
        if views is not None and call.caller and not customers:
            try:
                found = await views.by_phone(call.caller)
                customers = [
                    CustomerRef(
                        customer_id=customer_key(c.code, c.store), store=c.store, name=c.name
                    )
                    for c in found.candidates
                ]
                lead_code = lead_code_of(call.lead_customer)
                if lead_code is not None:  # the lead named a code without its store
                    customers = [c for c in customers if c.customer_id.startswith(lead_code + "-")]
                if len(customers) == 1:
                    code, _, store = customers[0].customer_id.partition("-")
                    view = await views.view_document(code, store)
            except (CrmError, ErpError) as err:
                log.info("screen_pop_lookup_failed", linkedid=call.call_id, code=err.code)
        self._send_offer(call, view, customers)
        self.desk.push_state(call.agent)

    def _call_ids(self, call: DeskCall) -> list[str]:
        """The ids the IVR may have noted the call under: its linkedid, its channels."""
        if self._channels_of is None or call.lead_customer:
            return []
        return [call.call_id, *self._channels_of(call.call_id)]

    async def _typed(
        self, call: DeskCall
    ) -> tuple[dict[str, Any] | None, list[CustomerRef]] | None:
        """The offer of the customers a CPF/CNPJ typed in the IVR names (joining its warm-up
        under way, else its lookup noted in the cache); None: none typed, or nobody found."""
        warm_up, views, ids = self._warm_up, self.desk.views, self._call_ids(call)
        if warm_up is None or not ids:
            return None
        warmed = self._warmed(call, await warm_up.typed_soon(ids, JOIN_WARM_UP))
        if warmed is not None or views is None:
            return warmed
        try:
            found = await warm_up.typed_lookup(ids)
            if found is None or not found.candidates:
                return None
            customers = [
                CustomerRef(customer_id=customer_key(c.code, c.store), store=c.store, name=c.name)
                for c in found.candidates
            ]
            view = None
            if len(found.candidates) == 1:
                first = found.candidates[0]
                view = await views.view_document(first.code, first.store)
        except (CrmError, ErpError) as err:
            log.info("screen_pop_tax_id_failed", linkedid=call.call_id, code=err.code)
            return None
        return view, customers

    @staticmethod
    def _warmed(
        call: DeskCall, ready: Ready | None
    ) -> tuple[dict[str, Any] | None, list[CustomerRef]] | None:
        """The offer's view and candidates from the IVR's warm-up of the caller's number,
        when it is in the process and recent (None: read them)."""
        if ready is None or call.lead_customer:
            return None
        customers = [
            CustomerRef(customer_id=customer_key(c.code, c.store), store=c.store, name=c.name)
            for c in ready.lookup.candidates
        ]
        view = None
        if len(ready.lookup.candidates) == 1:
            first = ready.lookup.candidates[0]
            view = ready.documents.get(f"{first.code}:{first.store}")
            if view is None:
                return None
        return view, customers

    def _send_offer(
        self, call: DeskCall, view: dict[str, Any] | None, customers: list[CustomerRef]
    ) -> None:
        self.desk.calls.found(call, customers)
        self.desk.send(
            call.agent,
            {
                "type": "offer",
                "call": self.desk.call_body(call),
                "view": view,
                "candidates": [c.model_dump() for c in customers],
            },
        )
        log.debug("screen_pop_sent", linkedid=call.call_id, agent=call.agent, found=len(customers))

    async def _lead_customer(
        self, call: DeskCall
    ) -> tuple[dict[str, Any] | None, list[CustomerRef]]:
        """The view of the customer the dialer's lead names (``CODE-STORE`` or
        ``CODE/STORE``); nothing when it names no store or no customer the ERP knows."""
        views, key = self.desk.views, split_customer(call.lead_customer or "")
        if views is None or key is None:
            return None, []
        code, store = key
        try:
            view = await views.view_document(code, store)
        except (CrmError, ErpError) as err:
            log.info("screen_pop_lead_customer_failed", linkedid=call.call_id, code=err.code)
            return None, []
        name = str((view.get("registration") or {}).get("name", ""))
        return view, [CustomerRef(customer_id=customer_key(code, store), store=store, name=name)]

    async def _send_view(self, call: DeskCall) -> None:
        """Send the call's customer's view (read again: the answer, an outcome...)."""
        customer, views = call.customer(), self.desk.views
        if customer is None or views is None:
            return
        code, _, store = customer.partition("-")
        try:
            view = await views.view_document(code, store)
        except (CrmError, ErpError) as err:
            log.info("screen_pop_view_failed", linkedid=call.call_id, code=err.code)
            return
        message = {"type": "view", "customer_id": customer, "view": view}
        self.desk.send(call.agent, message)

    async def _ended(self, call: DeskCall) -> None:
        await record_call(self.desk, call)
        await self._send_view(call)


def split_customer(text: str) -> tuple[str, str] | None:
    """``("000123", "01")`` from a lead's ``000123-01`` or ``000123/01``; None without a
    store."""
    for sep in ("-", "/"):
        code, found, store = text.strip().partition(sep)
        if found and code.strip() and store.strip():
            return code.strip(), store.strip()
    return None


def lead_code_of(text: str | None) -> str | None:
    """The customer code a lead names without its store (``000123``), else None."""
    if not text or split_customer(text) is not None:
        return None
    return text.strip() or None


async def record_call(desk: AgentDesk, call: DeskCall) -> None:
    """Write ``call`` as an interaction of its customer (none known: nothing written)."""
    customer, views = call.customer(), desk.views
    if customer is None or views is None:
        return
    code, _, store = customer.partition("-")
    item = Interaction(
        call_id=call.call_id,
        customer_code=code,
        customer_store=store,
        agent=call.agent,
        queue=call.queue,
        started_at=utc(call.entered_at),
        ended_at=utc(call.ended_at) if call.ended_at is not None else None,
        disposition=call.disposition.code if call.disposition else "",
        outcome_ref=call.outcome_ref,
    )
    try:
        await record_interaction(views, item)
    except CrmError as err:
        log.warning("interaction_not_recorded", linkedid=call.call_id, code=err.code)

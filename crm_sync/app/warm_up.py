"""Warming the cache when the IVR identifies a caller, and the desktop's view of a call.

``warm(number)`` / ``warm_tax_id(doc)`` only enqueue (they are called from the IVR's FastAGI
session and must not wait on the ERP); :meth:`WarmUp.run` owns a bounded number of workers that
do the ERP reads. A full queue drops the request with a log line (the view is then read on
the screen-pop, a miss).

A warmed caller's number also keeps its lookup and its customers' view documents in the
process for :data:`READY_FOR` seconds (:meth:`WarmUp.ready`): the screen-pop that follows
sends them with no cache round trip. An invalidation seen by this engine drops them at once;
one seen by another engine only through the cache, so with several engines the pop before
the ring may be up to that long behind a change (the view sent on answer is read again).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog

from crm_sync.app.customer_views import CustomerViews
from crm_sync.domain.errors import CrmError
from crm_sync.domain.lookup import caller_number, normalize_tax_id
from crm_sync.domain.view import CallView, CustomerView, Lookup
from erp_bridge.domain.errors import ErpError

log = structlog.get_logger("crm_sync.warm_up")


READY_FOR = 30.0  # seconds a warmed number's pop is kept in the process
READY_KEPT = 10_000  # numbers kept at most


@dataclass(frozen=True)
class Ready:
    """A warmed number's lookup and the view document of each candidate (``CODE:STORE``)."""

    lookup: Lookup
    documents: dict[str, dict[str, Any]]
    at: float


@dataclass(frozen=True)
class _Job:
    by: str  # "phone" or "tax_id"
    key: str
    call_id: str


class WarmUp:
    """The warm-up queue and its workers, plus :meth:`view_for_call`."""

    def __init__(
        self,
        views: CustomerViews,
        *,
        backlog: int = 1000,
        workers: int = 2,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.views = views
        self._queue: asyncio.Queue[_Job] = asyncio.Queue(backlog)
        self._workers = workers
        self._pending: set[tuple[str, str]] = set()
        self._ready: OrderedDict[str, Ready] = OrderedDict()  # E.164 number -> its pop
        self._warming: dict[str, asyncio.Event] = {}  # numbers being warmed -> set when done
        self._typed: OrderedDict[str, Ready] = OrderedDict()  # call id -> its typed tax id's
        self._typing: dict[str, asyncio.Event] = {}  # calls whose tax id is being read
        self._monotonic = monotonic
        views.on_invalidate(self._forget)

    def ready(self, number: str) -> Ready | None:
        """The pop of a number warmed in the last :data:`READY_FOR` seconds (no I/O)."""
        try:
            e164 = caller_number(number)
        except ErpError:
            return None
        found = self._ready.get(e164)
        if found is None or self._monotonic() - found.at > READY_FOR:
            return None
        return found

    async def ready_soon(self, number: str, wait: float) -> Ready | None:
        """:meth:`ready`, waiting up to ``wait`` seconds for a warm-up of the number under way
        (the screen-pop then joins it instead of reading the cache again)."""
        found = self.ready(number)
        if found is not None:
            return found
        try:
            warming = self._warming.get(caller_number(number))
        except ErpError:
            return None
        if warming is None:
            return None
        try:
            async with asyncio.timeout(wait):
                await warming.wait()
        except TimeoutError:
            return None
        return self.ready(number)

    def typing(self, call_ids: list[str]) -> bool:
        """Whether the warm-up of a tax id typed on one of these calls is under way."""
        return any(call_id in self._typing for call_id in call_ids)

    async def typed_soon(self, call_ids: list[str], wait: float) -> Ready | None:
        """The lookup of a CPF/CNPJ typed on one of these calls (its channels' uniqueids,
        as the IVR reported them) and its candidates' view documents, waiting up to ``wait``
        seconds for a warm-up under way; None when no valid tax id was typed, it names
        nobody, or the ERP could not be read fresh (then read the call's note)."""
        for call_id in call_ids:
            warming = self._typing.get(call_id)
            if warming is None:
                continue
            try:
                async with asyncio.timeout(wait):
                    await warming.wait()
            except TimeoutError:
                return None
        return self.typed(call_ids)

    def typed(self, call_ids: list[str]) -> Ready | None:
        """:meth:`typed_soon` without waiting (no I/O)."""
        for call_id in call_ids:
            found = self._typed.get(call_id)
            if found is not None and self._monotonic() - found.at <= READY_FOR:
                return found
        return None

    async def typed_lookup(self, call_ids: list[str]) -> Lookup | None:
        """The lookup of the tax id the IVR noted for one of these calls (the cache: seen by
        every engine), None when the call's note names no tax id."""
        for call_id in call_ids:
            entry = await self.views.safe_cache.get(f"call:{call_id}:tax_id")
            if entry is not None:
                return await self.views.by_tax_id(json.loads(entry.data)["key"])
        return None

    def _forget(self, customer: str) -> None:
        """``customer`` (``CODE:STORE``) changed: drop the pops naming him."""
        for kept in (self._ready, self._typed):
            for number, ready in list(kept.items()):
                if customer in ready.documents or any(
                    f"{c.code}:{c.store}" == customer for c in ready.lookup.candidates
                ):
                    del kept[number]

    def warm(self, number: str, call_id: str = "") -> bool:
        """Enqueue reading the customers of a caller's number; False when the number is not a
        phone number or the queue is full."""
        try:
            e164 = caller_number(number)
        except ErpError:
            log.info("customer_warm_skipped", reason="phone_invalid", call_id=call_id)
            return False
        return self._enqueue(_Job("phone", e164, call_id))

    def warm_tax_id(self, doc: str, call_id: str = "") -> bool:
        """Enqueue reading the customers of a CPF/CNPJ typed on the keypad; False on bad check
        digits or a full queue."""
        try:
            digits = normalize_tax_id(doc)
        except ErpError:
            log.info("customer_warm_skipped", reason="tax_id_invalid", call_id=call_id)
            return False
        return self._enqueue(_Job("tax_id", digits, call_id))

    def _enqueue(self, job: _Job) -> bool:
        if (job.by, job.key) in self._pending and not job.call_id:
            return True
        try:
            self._queue.put_nowait(job)
        except asyncio.QueueFull:
            log.warning("customer_warm_dropped", by=job.by, call_id=job.call_id)
            return False
        self._pending.add((job.by, job.key))
        if job.by == "phone":
            self._warming.setdefault(job.key, asyncio.Event())
        elif job.call_id:
            self._typing.setdefault(job.call_id, asyncio.Event())
        return True

    async def run(self, stop: asyncio.Event) -> None:
        """Run the workers until ``stop`` is set (then they are cancelled and awaited)."""
        async with asyncio.TaskGroup() as group:
            workers = [
                group.create_task(self._work(), name=f"crm-warm-{n}") for n in range(self._workers)
            ]
            await stop.wait()
            for worker in workers:
                worker.cancel()

    async def _work(self) -> None:
        task = asyncio.current_task()
        while True:
            if task is not None and task.cancelling():  # swallowed mid-command by the client
                raise asyncio.CancelledError
            job = await self._queue.get()
            try:
                await self._warm(job)
            except (CrmError, ErpError) as err:
                log.warning("customer_warm_failed", by=job.by, call_id=job.call_id, code=err.code)
            except Exception:  # a warm-up never stops the workers; the screen-pop reads again
                log.exception("customer_warm_crashed", by=job.by, call_id=job.call_id)
            finally:
                self._pending.discard((job.by, job.key))
                self._warmed(job)
                self._queue.task_done()

    def _warmed(self, job: _Job) -> None:
        """Wake whoever waits for this number's warm-up (done or failed)."""
        warming = (
            self._warming.pop(job.key, None)
            if job.by == "phone"
            else self._typing.pop(job.call_id, None)
        )
        if warming is not None:
            warming.set()

    async def _warm(self, job: _Job) -> None:
        found = await self._lookup(job.by, job.key)
        documents = {
            f"{c.code}:{c.store}": await self.views.view_document(c.code, c.store)
            for c in found.candidates
        }
        fresh = not found.stale and not any(d.get("stale") for d in documents.values())
        if job.by == "phone" and found.candidates and fresh:
            self._ready.pop(job.key, None)
            self._ready[job.key] = Ready(found, documents, self._monotonic())
            while len(self._ready) > READY_KEPT:
                self._ready.popitem(last=False)
        if job.by == "tax_id" and job.call_id and found.candidates and fresh:
            self._typed[job.call_id] = Ready(found, documents, self._monotonic())
            while len(self._typed) > READY_KEPT:
                self._typed.popitem(last=False)
        if job.by == "phone":  # the screen-pop may go on; the call's note follows
            self._warmed(job)  # (a typed tax id's waiters wake once its note is written)
        if job.call_id:  # a typed tax id has a note of its own: the number's stays
            note = f"call:{job.call_id}" + (":tax_id" if job.by == "tax_id" else "")
            await self.views.safe_cache.put(
                note,
                json.dumps({"by": job.by, "key": job.key}),
                self.views.clock(),
                {},
            )
        log.debug("customer_warmed", by=job.by, call_id=job.call_id, found=len(found.candidates))

    async def drained(self) -> None:
        """Wait until every enqueued warm-up is done."""
        await self._queue.join()

    async def _lookup(self, by: str, key: str) -> Lookup:
        if by == "tax_id":
            return await self.views.by_tax_id(key)
        return await self.views.by_phone(key)

    async def view_for_call(self, call_id: str) -> CallView:
        """The views for a call: its customer's once an interaction names him, else every
        candidate of the CPF/CNPJ typed in the IVR when it names someone, else of the caller's
        number the IVR identified (the agent picks), else none."""
        known = await self.views.interactions.get(call_id)
        if known is not None:
            view = await self.views.view(known.customer_code, known.customer_store)
            return CallView(
                call_id=call_id,
                identified_by="customer",
                key=f"{known.customer_code}:{known.customer_store}",
                views=[view],
            )
        typed = await self.views.safe_cache.get(f"call:{call_id}:tax_id")
        entry = await self.views.safe_cache.get(f"call:{call_id}")
        if typed is not None:  # a CPF/CNPJ typed in the IVR that names someone comes first
            said = json.loads(typed.data)
            found = await self._lookup(said["by"], said["key"])
            if found.candidates:
                typed_views = [await self.views.view(c.code, c.store) for c in found.candidates]
                return CallView(
                    call_id=call_id, identified_by="tax_id", key=said["key"], views=typed_views
                )
        if entry is None:
            return CallView(call_id=call_id, identified_by="", key="")
        said = json.loads(entry.data)
        found = await self._lookup(said["by"], said["key"])
        views: list[CustomerView] = [
            await self.views.view(c.code, c.store) for c in found.candidates
        ]
        return CallView(call_id=call_id, identified_by=said["by"], key=said["key"], views=views)

"""Warming the cache when the IVR identifies a caller, and the desktop's view of a call.

``warm(number)`` / ``warm_tax_id(doc)`` only enqueue (they are called from the IVR's FastAGI
session and must not wait on the ERP); :meth:`WarmUp.run` owns a bounded number of workers that
do the ERP reads. A full queue drops the request with a log line (the view is then read on
the screen-pop, a miss).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import structlog

from crm_sync.app.customer_views import CustomerViews
from crm_sync.domain.errors import CrmError
from crm_sync.domain.lookup import caller_number, normalize_tax_id
from crm_sync.domain.view import CallView, CustomerView, Lookup
from erp_bridge.domain.errors import ErpError

log = structlog.get_logger("crm_sync.warm_up")


@dataclass(frozen=True)
class _Job:
    by: str  # "phone" or "tax_id"
    key: str
    call_id: str


class WarmUp:
    """The warm-up queue and its workers, plus :meth:`view_for_call`."""

    def __init__(self, views: CustomerViews, *, backlog: int = 1000, workers: int = 2) -> None:
        self.views = views
        self._queue: asyncio.Queue[_Job] = asyncio.Queue(backlog)
        self._workers = workers
        self._pending: set[tuple[str, str]] = set()

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
                self._queue.task_done()

    async def _warm(self, job: _Job) -> None:
        if job.call_id:
            await self.views.safe_cache.put(
                f"call:{job.call_id}",
                json.dumps({"by": job.by, "key": job.key}),
                self.views.clock(),
                {},
            )
        found = await self._lookup(job.by, job.key)
        for c in found.candidates:
            await self.views.view(c.code, c.store)
        log.info("customer_warmed", by=job.by, call_id=job.call_id, found=len(found.candidates))

    async def drained(self) -> None:
        """Wait until every enqueued warm-up is done."""
        await self._queue.join()

    async def _lookup(self, by: str, key: str) -> Lookup:
        if by == "tax_id":
            return await self.views.by_tax_id(key)
        return await self.views.by_phone(key)

    async def view_for_call(self, call_id: str) -> CallView:
        """The views for a call: its customer's once an interaction names him, else every
        candidate of the number or tax id the IVR identified (the agent picks), else none."""
        known = await self.views.interactions.get(call_id)
        if known is not None:
            view = await self.views.view(known.customer_code, known.customer_store)
            return CallView(
                call_id=call_id,
                identified_by="customer",
                key=f"{known.customer_code}:{known.customer_store}",
                views=[view],
            )
        entry = await self.views.safe_cache.get(f"call:{call_id}")
        if entry is None:
            return CallView(call_id=call_id, identified_by="", key="")
        said = json.loads(entry.data)
        found = await self._lookup(said["by"], said["key"])
        views: list[CustomerView] = [
            await self.views.view(c.code, c.store) for c in found.candidates
        ]
        return CallView(call_id=call_id, identified_by=said["by"], key=said["key"], views=views)

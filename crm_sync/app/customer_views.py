"""Reading customer views and looking customers up: fresh from the cache, else from the ERP
(stored for the next read), else the last copy marked stale while the ERP does not answer."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import structlog
from aiohttp import ClientError
from sqlalchemy.exc import InterfaceError, OperationalError

from crm_sync.domain.errors import CrmError
from crm_sync.domain.lookup import caller_number, normalize_tax_id
from crm_sync.domain.view import Candidate, CustomerView, Lookup, assemble_view, marked_stale
from crm_sync.port import CacheUnavailable, CustomerRecords, Entry, InteractionStore, ViewCache
from erp_bridge.port import ErpPort
from erp_bridge.protheus.client import ProtheusUnavailable

log = structlog.get_logger("crm_sync")

# what an ERP that does not answer raises (business refusals are ErpError and pass through)
ERP_DOWN: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    ClientError,
    ProtheusUnavailable,
    OperationalError,
    InterfaceError,
)


#: default seconds an unknown number is answered from memory (see ``CustomerViews``)
UNKNOWN_FOR = 10.0
#: unknown numbers remembered before the expired ones are dropped
UNKNOWN_KEPT = 10_000


def _utcnow() -> datetime:
    return datetime.now(UTC)


class TolerantCache:
    """The cache as the read side uses it: a cache that does not answer is a miss (the ERP
    answers instead) and a store or invalidation that does not happen is logged; the TTL
    bounds how old a copy can get."""

    def __init__(self, inner: ViewCache) -> None:
        self._inner = inner

    async def get(self, key: str) -> Entry | None:
        """The entry, or None (also when the cache is down)."""
        try:
            return await self._inner.get(key)
        except CacheUnavailable as err:
            log.warning("customer_cache_unavailable", op="get", error=str(err))
            return None

    async def generation(self, customer: str) -> int | None:
        """The generation, or None when the cache is down (then nothing is stored)."""
        try:
            return await self._inner.generation(customer)
        except CacheUnavailable as err:
            log.warning("customer_cache_unavailable", op="generation", error=str(err))
            return None

    async def put(
        self, key: str, data: str, fetched_at: datetime, customers: dict[str, int | None]
    ) -> bool:
        """Store unless a generation is unknown or the cache is down."""
        known = {c: g for c, g in customers.items() if g is not None}
        if len(known) != len(customers):
            return False
        try:
            return await self._inner.put(key, data, fetched_at, customers=known)
        except CacheUnavailable as err:
            log.warning("customer_cache_unavailable", op="put", error=str(err))
            return False

    async def invalidate(self, customer: str) -> None:
        """Invalidate, or log that the cache could not be told."""
        try:
            await self._inner.invalidate(customer)
        except CacheUnavailable as err:
            log.warning("customer_cache_unavailable", op="invalidate", error=str(err))


def customer_id(code: str, store: str) -> str:
    """``CODE:STORE``, the name the cache invalidates by."""
    return f"{code}:{store}"


class CustomerViews:
    """The customer view's read side, for the desktop, the API and the warm-up worker."""

    def __init__(
        self,
        erp: ErpPort,
        records: CustomerRecords,
        cache: ViewCache,
        interactions: InteractionStore,
        *,
        clock: Callable[[], datetime] = _utcnow,
        recent_orders: int = 5,
        last_interactions: int = 10,
        unknown_for: float = UNKNOWN_FOR,
    ) -> None:
        self.erp = erp
        self.cache = cache
        self.safe_cache = TolerantCache(cache)
        self.interactions = interactions
        self._records = records
        self.clock = clock
        self._orders = recent_orders
        self._calls = last_interactions
        self._invalidated: list[Callable[[str], None]] = []
        #: lookups running, by cache key: a second lookup of the same key meanwhile (the
        #: screen-pop while the IVR's warm-up reads) waits for that answer, no second read
        self._looking: dict[str, asyncio.Future[Lookup]] = {}
        #: seconds a number (or tax id) the ERP found nobody for is answered "nobody" without
        #: asking again (the screen-pop just after the IVR's warm-up); any invalidation
        #: (an ERP change read from the feed, an outcome) forgets them all
        self.unknown_for = unknown_for
        self._unknown: dict[str, datetime] = {}

    def on_invalidate(self, listener: Callable[[str], None]) -> None:
        """Call ``listener("CODE:STORE")`` (it must only take note) on each invalidation."""
        self._invalidated.append(listener)

    async def read_from_erp(self, code: str, store: str) -> CustomerView:
        """The view assembled now from the ERP and the interactions (no cache)."""
        position = await self.erp.customer_position(code, store)
        orders = await self._records.recent_orders(code, store, self._orders)
        tickets = await self._records.open_tickets(code, store)
        calls = await self.interactions.for_customer(code, store, self._calls)
        return assemble_view(
            position,
            orders=orders,
            tickets=tickets,
            interactions=[c.line() for c in calls],
            as_of=self.clock(),
        )

    async def view(self, code: str, store: str) -> CustomerView:
        """The customer's view: a fresh cached copy, else read from the ERP and cached, else
        (ERP down) the last copy marked stale; ``customer_unknown`` for no such customer,
        ``erp_unavailable`` when the ERP is down and nothing was ever cached."""
        key, who = f"customer:{code}:{store}", customer_id(code, store)
        entry = await self.safe_cache.get(key)
        if entry is not None and entry.fresh:
            return CustomerView.model_validate_json(entry.data)
        generation = await self.safe_cache.generation(who)
        try:
            view = await self.read_from_erp(code, store)
        except ERP_DOWN as err:
            if entry is None:
                log.warning("customer_view_unavailable", customer=who, error=type(err).__name__)
                raise CrmError("erp_unavailable", "the ERP did not answer") from err
            log.warning("customer_view_stale", customer=who, error=type(err).__name__)
            return marked_stale(CustomerView.model_validate_json(entry.data), self.clock())
        await self.safe_cache.put(key, view.model_dump_json(), view.as_of, {who: generation})
        return view

    async def view_document(self, code: str, store: str) -> dict[str, Any]:
        """:meth:`view` as plain JSON data; a fresh cached copy is handed over as stored (no
        model round trip: the screen-pop's fast path)."""
        entry = await self.safe_cache.get(f"customer:{code}:{store}")
        if entry is not None and entry.fresh:
            document: dict[str, Any] = json.loads(entry.data)
            return document
        return (await self.view(code, store)).model_dump(mode="json")

    async def by_phone(self, raw: str) -> Lookup:
        """Every customer whose phone is the caller's number (E.164, Brazil by default)."""
        number = caller_number(raw)
        return await self._lookup(f"phone:{number}", number, phone=number)

    async def by_tax_id(self, raw: str) -> Lookup:
        """Every customer store with this CPF/CNPJ (``tax_id_invalid`` on bad check digits)."""
        digits = normalize_tax_id(raw)
        return await self._lookup(f"taxid:{digits}", digits, tax_id=digits)

    async def _lookup(
        self, key: str, shown: str, *, phone: str | None = None, tax_id: str | None = None
    ) -> Lookup:
        """The lookup of ``key``, shared with one of the same key already running."""
        running = self._looking.get(key)
        if running is not None:
            try:
                return await asyncio.shield(running)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not running.cancelled() or (task is not None and task.cancelling()):
                    raise
                # the first lookup was cancelled, not us: look up ourselves
        future: asyncio.Future[Lookup] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_retrieved)
        self._looking[key] = future
        try:
            found = await self._lookup_now(key, shown, phone, tax_id)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as err:
            future.set_exception(err)
            raise
        else:
            future.set_result(found)
            return found
        finally:
            if self._looking.get(key) is future:
                del self._looking[key]

    async def _lookup_now(
        self, key: str, shown: str, phone: str | None, tax_id: str | None
    ) -> Lookup:
        nobody_at = self._unknown.get(key)
        if nobody_at is not None:
            if (self.clock() - nobody_at).total_seconds() < self.unknown_for:
                return Lookup(key=shown, candidates=[])
            del self._unknown[key]
        entry = await self.safe_cache.get(key)
        if entry is not None and entry.fresh:
            return Lookup.model_validate_json(entry.data)
        try:
            refs = await self.erp.find_customers(phone=phone, tax_id=tax_id)
        except ERP_DOWN as err:
            if entry is None:
                log.warning("customer_lookup_unavailable", key=key, error=type(err).__name__)
                raise CrmError("erp_unavailable", "the ERP did not answer") from err
            log.warning("customer_lookup_stale", key=key, error=type(err).__name__)
            found = Lookup.model_validate_json(entry.data)
            age = max((self.clock() - entry.fetched_at).total_seconds(), 0.0)
            return found.model_copy(update={"stale": True, "age_seconds": round(age, 3)})
        found = Lookup(
            key=shown,
            candidates=[
                Candidate(
                    code=r.code,
                    store=r.store,
                    name=r.name,
                    tax_id=r.tax_id,
                    risk=r.risk,
                    blocked=r.blocked,
                )
                for r in refs
            ],
        )
        if found.candidates:
            names = [customer_id(c.code, c.store) for c in found.candidates]
            generations = {n: await self.safe_cache.generation(n) for n in names}
            await self.safe_cache.put(key, found.model_dump_json(), self.clock(), generations)
        elif self.unknown_for > 0:  # not cached: asked again once ``unknown_for`` has passed
            self._remember_unknown(key)
        return found

    def _remember_unknown(self, key: str) -> None:
        now = self.clock()
        if len(self._unknown) >= UNKNOWN_KEPT:
            self._unknown = {
                k: at
                for k, at in self._unknown.items()
                if (now - at).total_seconds() < self.unknown_for
            }
        self._unknown[key] = now

    async def invalidate(self, code: str, store: str) -> None:
        """The customer changed: its view and the lookups naming it are read again next time
        (and every number or tax id found unknown, which may name him now)."""
        self._unknown.clear()
        for listener in self._invalidated:
            listener(customer_id(code, store))
        await self.safe_cache.invalidate(customer_id(code, store))


def _retrieved(future: asyncio.Future[Lookup]) -> None:
    """A lookup that failed with no one else waiting is not reported as never retrieved."""
    if not future.cancelled():
        future.exception()

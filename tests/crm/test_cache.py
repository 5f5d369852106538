"""The customer view cache on real Redis (and the in-process one): warmed in the IVR's place,
hits, misses reading the ERP, invalidation by the ERP's change feed and by this engine's
outcomes, the last copy served stale while the ERP is down."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

import pytest
import structlog.testing

from crm_sync.adapters.erp_records import NoRecords
from crm_sync.adapters.memory_cache import MemoryViewCache
from crm_sync.adapters.redis_cache import RedisViewCache
from crm_sync.adapters.sql_interactions import SqlInteractions
from crm_sync.app.change_feed import ChangeFeed
from crm_sync.app.customer_views import CustomerViews
from crm_sync.app.interactions import record_interaction
from crm_sync.app.warm_up import WarmUp
from crm_sync.domain.errors import CrmError
from crm_sync.domain.interactions import Interaction
from crm_sync.port import ViewCache
from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.orders import OrderLine, OrderRequest
from erp_bridge.embedded.adapter import EmbeddedErp
from erp_bridge.protheus.adapter import ProtheusErp
from erp_bridge.protheus.client import ProtheusClient, ProtheusConfig
from tests.conftest import REDIS_URL
from tests.crm.conftest import (
    BAKERY_CNPJ,
    ERP_NOW,
    OTHER_PHONE,
    SHARED_PHONE,
    Clock,
    WatchedErp,
    views_on,
)


async def _warmed(warm: WarmUp) -> None:
    stop = asyncio.Event()
    runner = asyncio.create_task(warm.run(stop))
    try:
        await asyncio.wait_for(warm.drained(), 60)
    finally:
        stop.set()
        await runner


async def test_warm_in_the_ivr_then_the_screen_pop_is_a_hit(
    sqlite_erp: EmbeddedErp, cache: ViewCache
) -> None:
    """The IVR identifies a caller by number (national format) for call c1; the workers read
    both stores answering on that number; the desktop's view of c1 then holds both views
    without a single further ERP read."""
    erp = WatchedErp(sqlite_erp)
    warm = WarmUp(views_on(erp, cache))
    assert warm.warm("(11) 98765-4321", call_id="c1") is True
    await _warmed(warm)
    reads = erp.reads
    assert reads == 3  # one lookup, two positions
    call = await warm.view_for_call("c1")
    assert (call.identified_by, call.key) == ("phone", SHARED_PHONE)
    assert [(v.registration.code, v.registration.store) for v in call.views] == [
        ("000001", "01"),
        ("000001", "02"),
    ]
    assert erp.reads == reads
    bakery = call.views[0]
    assert (bakery.credit.overdue_amount, bakery.stale) == ("250.50", False)
    assert [t.number for t in bakery.open_tickets] == ["T00001"]


async def test_warm_by_a_typed_tax_id_and_refuse_bad_check_digits(
    sqlite_erp: EmbeddedErp, cache: ViewCache
) -> None:
    """A CNPJ typed on the keypad warms that customer; a wrong check digit is refused at
    once (nothing enqueued) and the call stays unidentified."""
    erp = WatchedErp(sqlite_erp)
    warm = WarmUp(views_on(erp, cache))
    assert warm.warm_tax_id(BAKERY_CNPJ, call_id="c2") is True
    assert warm.warm_tax_id(BAKERY_CNPJ[:-1] + "0", call_id="c3") is False
    assert warm.warm("anonymous", call_id="c4") is False
    await _warmed(warm)
    call = await warm.view_for_call("c2")
    assert (call.identified_by, [v.registration.name for v in call.views]) == (
        "tax_id",
        ["Padaria Boa Vista Ltda"],
    )
    assert (await warm.view_for_call("c3")).views == []


async def test_a_miss_reads_the_erp_and_the_next_read_is_a_hit(
    sqlite_erp: EmbeddedErp, cache: ViewCache
) -> None:
    """First read of a customer goes to the ERP; the second is served from the cache."""
    erp = WatchedErp(sqlite_erp)
    views = views_on(erp, cache)
    first = await views.view("000002", "01")
    assert erp.reads == 1
    assert await views.view("000002", "01") == first
    assert erp.reads == 1


async def test_the_screen_pops_document_is_the_view_as_json(
    sqlite_erp: EmbeddedErp, cache: ViewCache
) -> None:
    """``view_document`` gives the view's JSON data: read from the ERP on a miss, the stored
    copy as is on a hit (no second ERP read); both equal the view's own JSON."""
    erp = WatchedErp(sqlite_erp)
    views = views_on(erp, cache)
    first = await views.view_document("000001", "01")
    assert erp.reads == 1
    again = await views.view_document("000001", "01")
    assert erp.reads == 1
    expected = (await views.view("000001", "01")).model_dump(mode="json")
    assert first == again == expected
    assert first["registration"]["name"] == "Padaria Boa Vista Ltda"


async def test_several_customers_on_one_number_are_all_candidates(
    sqlite_erp: EmbeddedErp, cache: ViewCache
) -> None:
    """The bakery's two stores share a number: the lookup lists both for the agent to pick;
    an unknown number finds nobody; another number finds its one customer."""
    views = views_on(sqlite_erp, cache)
    both = await views.by_phone("+55 11 98765-4321")
    assert [(c.code, c.store) for c in both.candidates] == [("000001", "01"), ("000001", "02")]
    assert (await views.by_phone("11 3333-0000")).candidates == []
    assert [c.name for c in (await views.by_phone(OTHER_PHONE)).candidates] == ["Maria Souza"]


async def test_lookups_of_one_number_at_once_share_one_erp_search(
    sqlite_erp: EmbeddedErp, cache: ViewCache
) -> None:
    """The IVR's warm-up and the screen-pop look the same unknown caller up at the same time:
    the ERP is searched once and both get its answer (nobody); a known number asked twice at
    once gets its customer in both answers from one search."""
    erp = WatchedErp(sqlite_erp)
    views = views_on(erp, cache)
    first, second = await asyncio.gather(
        views.by_phone("11 3333-0000"), views.by_phone("+55 11 3333-0000")
    )
    assert (first.candidates, second.candidates, erp.reads) == ([], [], 1)
    both = await asyncio.gather(views.by_phone(OTHER_PHONE), views.by_phone(OTHER_PHONE))
    assert [[c.name for c in found.candidates] for found in both] == [["Maria Souza"]] * 2
    assert erp.reads == 2


async def test_an_unknown_number_is_asked_again_after_a_short_while_or_a_change(
    sqlite_erp: EmbeddedErp, cache: ViewCache
) -> None:
    """An unknown caller found by the warm-up is answered "nobody" without a second ERP search
    for the screen-pop that follows; once ``unknown_for`` seconds have passed, or once an ERP
    change of any customer was read, the number is searched again; nobody is cached."""
    erp = WatchedErp(sqlite_erp)
    clock = Clock(ERP_NOW)
    views = views_on(erp, cache, clock)
    assert (await views.by_phone("11 3333-0000")).candidates == []
    clock.advance(views.unknown_for - 1)
    again = await views.by_phone("+55 11 3333-0000")
    assert (again.key, again.candidates, again.stale, erp.reads) == ("+551133330000", [], False, 1)
    clock.advance(1)
    assert (await views.by_phone("11 3333-0000")).candidates == []
    assert erp.reads == 2
    await views.invalidate("000002", "01")
    assert (await views.by_phone("11 3333-0000")).candidates == []
    assert erp.reads == 3
    assert await cache.get("phone:+551133330000") is None


async def test_an_erp_change_read_from_the_feed_refreshes_the_view(
    sqlite_erp: EmbeddedErp, cache: ViewCache
) -> None:
    """A sales order entered in the embedded ERP for the bakery is in its change feed; the
    feed consumer invalidates the cached view, which then shows the order with its release
    status and the new open-order balance; the consumer remembers where it stopped."""
    views = views_on(sqlite_erp, cache)
    feed = ChangeFeed(views)
    await feed.apply_once()  # whatever the world's loading left in the feed
    before = await views.view("000001", "01")
    assert before.recent_orders == []
    result = await sqlite_erp.create_sales_order(
        OrderRequest(
            "000001", "01", (OrderLine("P1", Decimal(3), delivery_date=date(2026, 11, 27)),)
        )
    )
    assert (await views.view("000001", "01")).recent_orders == []  # cached, not yet told
    assert await feed.apply_once() == 1
    after = await views.view("000001", "01")
    assert [(o.number, o.status, o.total) for o in after.recent_orders] == [
        (result.order, result.status, "30.00")
    ]
    assert [(r.product, r.credit_block, r.stock_block) for r in after.recent_orders[0].rows] == [
        (ln.product, ln.credit_block, ln.stock_block) for ln in result.lines
    ]
    # the bakery's title is 20 days overdue: credit blocked (01), stock not judged yet (02)
    assert (result.status, [(ln.credit_block, ln.stock_block) for ln in result.lines]) == (
        "blocked_credit",
        [("01", "02")],
    )
    assert after.credit.open_orders != before.credit.open_orders
    assert await ChangeFeed(views).apply_once() == 0  # a new consumer starts where it stopped


async def test_the_engines_own_outcome_invalidates_the_lookup_and_the_view(
    sqlite_erp: EmbeddedErp, cache: ViewCache
) -> None:
    """After an interaction is recorded for a call, the call's view is that customer's only
    (the agent picked him) and shows the call."""
    warm = WarmUp(views_on(sqlite_erp, cache))
    warm.warm(SHARED_PHONE, call_id="c5")
    await _warmed(warm)
    await record_interaction(
        warm.views,
        Interaction("c5", "000001", "02", "2001", "vendas", ERP_NOW, disposition="sale"),
    )
    call = await warm.view_for_call("c5")
    assert call.identified_by == "customer"
    assert [v.registration.store for v in call.views] == ["02"]
    assert [i.call_id for i in call.views[0].interactions] == ["c5"]


async def test_an_erp_outage_serves_the_last_copy_marked_stale_with_its_age(
    sqlite_erp: EmbeddedErp, cache: ViewCache
) -> None:
    """The view and the lookup are cached; the bakery changes (invalidated); the ERP goes
    down: the last copies come back marked stale with their age; a customer never read is
    ``erp_unavailable``; when the ERP is back the view is fresh again."""
    erp = WatchedErp(sqlite_erp)
    clock = Clock(ERP_NOW)
    views = views_on(erp, cache, clock)
    fresh = await views.view("000001", "01")
    await views.by_phone(SHARED_PHONE)
    await views.invalidate("000001", "01")
    erp.down = True
    clock.advance(90)
    old = await views.view("000001", "01")
    assert (old.stale, old.age_seconds) == (True, 90.0)
    assert old.credit == fresh.credit
    lookup = await views.by_phone(SHARED_PHONE)
    assert (lookup.stale, len(lookup.candidates)) == (True, 2)
    with pytest.raises(CrmError) as err:
        await views.view("000002", "01")
    assert err.value.code == "erp_unavailable"
    erp.down = False
    back = await views.view("000001", "01")
    assert (back.stale, back.as_of) == (False, clock.now)


async def test_protheus_on_a_closed_port_is_erp_unavailable(
    sqlite_erp: EmbeddedErp, redis_cache: RedisViewCache, unused_tcp_port: int
) -> None:
    """Against a Protheus that does not listen, a lookup of an uncached number is
    ``erp_unavailable`` (not a crash, not an empty list)."""
    client = ProtheusClient(
        ProtheusConfig(f"http://127.0.0.1:{unused_tcp_port}/rest", "01,0101", "u", "p")
    )
    views = CustomerViews(
        ProtheusErp(client), NoRecords(), redis_cache, SqlInteractions(sqlite_erp._engine)
    )
    try:
        with pytest.raises(CrmError) as err:
            await views.by_phone(SHARED_PHONE)
    finally:
        await client.close()
    assert err.value.code == "erp_unavailable"


async def test_a_read_overtaken_by_an_invalidation_is_not_stored_as_fresh(
    cache: ViewCache,
) -> None:
    """A copy read before an invalidation of its customer is refused by the cache, so the
    old data is never served as fresh."""
    generation = await cache.generation("000001:01")
    await cache.invalidate("000001:01")
    stored = await cache.put(
        "customer:000001:01", "{}", ERP_NOW, customers={"000001:01": generation}
    )
    assert stored is False
    assert await cache.get("customer:000001:01") is None
    ok = await cache.put(
        "customer:000001:01",
        "{}",
        ERP_NOW,
        customers={"000001:01": await cache.generation("000001:01")},
    )
    assert ok is True
    entry = await cache.get("customer:000001:01")
    assert entry is not None and entry.fresh


async def test_redis_keeps_the_fresh_mark_for_the_ttl_only(redis_prefix: str) -> None:
    """On Redis the fresh mark carries the TTL and the last copy the longer keep time."""
    import redis.asyncio as aioredis

    cache = RedisViewCache(REDIS_URL, redis_prefix, ttl=30, keep=600)
    raw = aioredis.from_url(REDIS_URL)
    try:
        await cache.put("customer:9:01", "{}", ERP_NOW, customers={"9:01": 0})
        fresh_ttl = await raw.ttl(redis_prefix + "fresh:customer:9:01")
        doc_ttl = await raw.ttl(redis_prefix + "doc:customer:9:01")
    finally:
        await raw.aclose()
        await cache.close()
    assert 0 < fresh_ttl <= 30
    assert 30 < doc_ttl <= 600


async def test_unknown_customer_is_customer_unknown(
    sqlite_erp: EmbeddedErp, cache: ViewCache
) -> None:
    """A view of a customer the ERP does not have is the ERP's ``customer_unknown``."""
    with pytest.raises(ErpError) as err:
        await views_on(sqlite_erp, cache).view("999999", "01")
    assert err.value.code == "customer_unknown"


async def test_redis_down_the_erp_answers_and_nothing_breaks(
    sqlite_erp: EmbeddedErp, unused_tcp_port: int
) -> None:
    """With the cache's Redis not listening, views and lookups come fresh from the ERP,
    recording an interaction still works, and the feed consumer reports the outage instead
    of dying (a pass reads nothing)."""
    cache = RedisViewCache(f"redis://127.0.0.1:{unused_tcp_port}/0", "nowhere:", ttl=60)
    try:
        views = views_on(sqlite_erp, cache)
        view = await views.view("000001", "01")
        assert (view.registration.name, view.stale) == ("Padaria Boa Vista Ltda", False)
        assert len((await views.by_phone(SHARED_PHONE)).candidates) == 2
        await record_interaction(
            views, Interaction("c7", "000001", "01", "2001", "vendas", ERP_NOW)
        )
        assert [i.call_id for i in (await views.view("000001", "01")).interactions] == ["c7"]
        stop = asyncio.Event()
        with structlog.testing.capture_logs() as logs:
            feed = asyncio.create_task(ChangeFeed(views, interval=0.05).run(stop))
            deadline = asyncio.get_running_loop().time() + 30
            while sum(e["event"] == "customer_changes_unavailable" for e in logs) < 2:
                assert asyncio.get_running_loop().time() < deadline, "no outage reported"
                await asyncio.sleep(0.02)
            assert not feed.done()  # two failed passes, still following
            stop.set()
            await feed
    finally:
        await cache.close()


async def test_the_warm_up_queue_is_bounded_and_drops_with_a_log(sqlite_erp: EmbeddedErp) -> None:
    """With a backlog of two and the workers not running, a third caller is dropped (False,
    ``customer_warm_dropped``) instead of growing memory or blocking the IVR; once the workers
    run, the two enqueued are warmed."""
    erp = WatchedErp(sqlite_erp)
    warm = WarmUp(views_on(erp, MemoryViewCache()), backlog=2)
    with structlog.testing.capture_logs() as logs:
        assert warm.warm(SHARED_PHONE, call_id="a") is True
        assert warm.warm(OTHER_PHONE, call_id="b") is True
        assert warm.warm("+5511955550001", call_id="c") is False
    assert [e["event"] for e in logs] == ["customer_warm_dropped"]
    assert erp.reads == 0
    await _warmed(warm)
    assert erp.reads == 2 + 3  # two lookups, three customers' positions


async def test_a_warmed_number_pops_from_the_process_until_its_customer_changes(
    sqlite_erp: EmbeddedErp, cache: ViewCache
) -> None:
    """Nothing warmed: no pop in the process. A screen-pop that comes while the number's
    warm-up is under way joins it and gets the lookup and the view documents it read (no read
    of its own); then the pop is at hand at once; an invalidation of the customer drops it
    (the next pop reads the cache again)."""
    erp = WatchedErp(sqlite_erp)
    views = views_on(erp, cache)
    warm = WarmUp(views)
    assert warm.ready(OTHER_PHONE) is None
    assert await warm.ready_soon(OTHER_PHONE, 0.1) is None  # nothing under way: no wait
    assert warm.warm(OTHER_PHONE, call_id="c9") is True
    joining = asyncio.create_task(warm.ready_soon(OTHER_PHONE, 60))
    await _warmed(warm)
    joined = await joining
    assert joined is not None
    ((key, document),) = joined.documents.items()
    assert [(c.code, c.store) for c in joined.lookup.candidates] == [("000002", "01")]
    assert key == "000002:01" and document["registration"]["name"] == "Maria Souza"
    reads = erp.reads
    assert warm.ready(OTHER_PHONE) is joined
    assert erp.reads == reads
    await views.invalidate("000002", "01")
    assert warm.ready(OTHER_PHONE) is None

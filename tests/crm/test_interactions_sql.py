"""Interactions stored in the engine's database (SQLite and PostgreSQL) and shown in the view."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crm_sync.adapters.memory_cache import MemoryViewCache
from crm_sync.app.interactions import list_interactions, record_interaction
from crm_sync.domain.errors import CrmError
from crm_sync.domain.interactions import Interaction
from erp_bridge.embedded.adapter import EmbeddedErp
from tests.crm.conftest import ERP_NOW, views_on


async def test_calls_are_stored_replaced_by_call_id_and_listed_newest_first(
    erp: EmbeddedErp,
) -> None:
    """Three calls of the bakery: the list is newest first, limited; recording a call again
    (its disposition came) replaces it instead of adding a row; times keep their zone."""
    views = views_on(erp, MemoryViewCache())
    for n in range(3):
        start = ERP_NOW + timedelta(minutes=10 * n)
        await record_interaction(
            views, Interaction(f"call-{n}", "000001", "01", "2001", "vendas", start)
        )
    await record_interaction(
        views,
        Interaction(
            "call-1",
            "000001",
            "01",
            "2001",
            "vendas",
            ERP_NOW + timedelta(minutes=10),
            ERP_NOW + timedelta(minutes=14),
            disposition="sale",
            outcome_ref="outcome-7",
        ),
    )
    listed = await list_interactions(views, "000001", "01", limit=2)
    assert [i.call_id for i in listed] == ["call-2", "call-1"]
    assert (listed[1].disposition, listed[1].outcome_ref) == ("sale", "outcome-7")
    assert listed[1].ended_at == ERP_NOW + timedelta(minutes=14)
    assert len(await list_interactions(views, "000001", "01")) == 3
    assert await list_interactions(views, "000002", "01") == []


async def test_a_recorded_outcome_shows_in_the_cached_view_at_once(erp: EmbeddedErp) -> None:
    """The view is cached; the engine records the call's disposition; the next read shows it
    (recording invalidates the customer's view) with the call's agent and queue."""
    views = views_on(erp, MemoryViewCache())
    assert (await views.view("000001", "01")).interactions == []
    await record_interaction(
        views,
        Interaction("c9", "000001", "01", "2002", "cobranca", ERP_NOW, disposition="promise"),
    )
    shown = (await views.view("000001", "01")).interactions
    assert [(i.call_id, i.agent, i.queue, i.disposition) for i in shown] == [
        ("c9", "2002", "cobranca", "promise")
    ]


async def test_a_bad_interaction_is_refused_and_nothing_is_stored(erp: EmbeddedErp) -> None:
    """A call without an agent is ``interaction_invalid`` and leaves no row."""
    views = views_on(erp, MemoryViewCache())
    with pytest.raises(CrmError) as err:
        await record_interaction(views, Interaction("c1", "000001", "01", "", "vendas", ERP_NOW))
    assert err.value.code == "interaction_invalid"
    assert await views.interactions.get("c1") is None


async def test_customers_of_an_agents_calls_since_a_time(erp: EmbeddedErp) -> None:
    """``agent_customers``: the (code, store) of one agent's calls started since the time
    given; another agent's calls and older ones are left out."""
    views = views_on(erp, MemoryViewCache())
    store = views.interactions
    for call, code, shop, agent, minutes in (
        ("c1", "000001", "01", "2001", 0),
        ("c2", "000001", "02", "2001", -600),
        ("c3", "000002", "01", "2002", 0),
    ):
        start = ERP_NOW + timedelta(minutes=minutes)
        await record_interaction(views, Interaction(call, code, shop, agent, "vendas", start))
    since = ERP_NOW - timedelta(hours=1)
    assert await store.agent_customers("2001", since) == {("000001", "01")}
    assert await store.agent_customers("2002", since) == {("000002", "01")}
    assert await store.agent_customers("2003", since) == set()

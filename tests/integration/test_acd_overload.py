"""A declared overload through the twin: past capacity new callers stay on the dialplan's hold,
logged and counted; once level they are queued in their order with their real join time, and a
kept caller who hangs up counts as an abandon."""

from __future__ import annotations

from pathlib import Path

from structlog.testing import capture_logs

from acd.domain import QueueConfig
from acd.live.sql import AcdConfigStore
from atende.db import make_engine
from tests.conftest import migrated_sqlite
from tests.integration.acd_stack import running_acd
from tests.integration.conftest import eventually

VENDAS = "1133330001"
AGENTS = {"2001": {"sales": 1}, "2002": {"sales": 1}}


def _events(logs: list[dict[str, object]], name: str) -> list[dict[str, object]]:
    return [e for e in logs if e["event"] == name]


async def test_callers_past_capacity_wait_on_hold_and_are_queued_once_level(
    tmp_path: Path,
) -> None:
    """Capacity 2 calls (``ATENDE_ACD_MAX_CALLS``), two agents whose phones answer. Callers A
    and B are connected; C and D arrive: the ACD declares an overload (``acd_overload`` once),
    keeps both on the music on hold (``acd_overload_caller_kept``, counted 2) and queues
    neither. D hangs up while kept: he counts as an abandon (ENTERQUEUE + ABANDON). A hangs
    up: the ACD is level (``acd_overload_ended``) and C, still on hold, is queued with the time
    his routing reached the ACD and connected to the agent A had."""
    url = migrated_sqlite(tmp_path / "acd.db")
    queues = [QueueConfig(name="vendas", skills={"sales": 1})]
    with capture_logs() as logs:
        async with running_acd(url, queues, AGENTS, acd_max_calls=2) as (twin, engine):
            assert engine.acd is not None
            acd = engine.acd
            for agent in AGENTS:
                twin.set_agent_phone(f"Local/{agent}@agents", answer=True, delay=1)
            first = [await twin.place_inbound_call(VENDAS, f"55119000000{n}", "A") for n in (1, 2)]
            assert all(info is not None for info in first)
            a, b = (info.linkedid for info in first if info is not None)
            await eventually(lambda: len(twin.answered_calls) == 2, timeout=20)

            c_info = await twin.place_inbound_call(VENDAS, "551190000003", "C")
            d_info = await twin.place_inbound_call(VENDAS, "551190000004", "D")
            assert c_info is not None and d_info is not None
            c, d = c_info.linkedid, d_info.linkedid
            await eventually(lambda: acd.overload.kept_total == 2, timeout=20)
            assert acd.overload.active
            assert c not in acd.calls and d not in acd.calls
            assert len(_events(logs, "acd_overload")) == 1
            kept = [e["linkedid"] for e in _events(logs, "acd_overload_caller_kept")]
            assert kept == [c, d]

            def on_hold() -> set[str]:
                return {ch.linkedid for ch in twin.channels() if ch.application == "MusicOnHold"}

            await eventually(lambda: {c, d} <= on_hold(), timeout=20)  # the dialplan's hold

            assert twin.hangup(d_info.name)
            vendas = lambda: next(q for q in acd.live_view()["queues"] if q["queue"] == "vendas")  # noqa: E731
            await eventually(lambda: vendas()["abandoned"] == 1, timeout=20)
            assert acd.overload.active  # still two calls held

            agent_of_a = acd.calls[a].agent
            a_caller = next(ch.name for ch in twin.channels() if ch.linkedid == a)
            assert twin.hangup(a_caller)
            await eventually(lambda: c in twin.answered_calls, timeout=20)
            assert not acd.overload.active
            assert acd.calls[c].agent == agent_of_a
            assert len(_events(logs, "acd_overload_ended")) == 1
            await eventually(lambda: vendas()["answered"] == 3, timeout=20)
            assert vendas()["offered"] == 4 and vendas()["abandoned"] == 1
            assert b in acd.calls
    db = make_engine(url)
    try:
        book = await AcdConfigStore(db).queue_log()
    finally:
        await db.dispose()
    by_call = {call: [r for r in book if r.call_id == call] for call in (c, d)}
    assert [r.event for r in by_call[d]] == ["ENTERQUEUE", "ABANDON"]
    enter, connect = by_call[c][0], next(r for r in by_call[c] if r.event == "CONNECT")
    assert enter.event == "ENTERQUEUE"
    joined = float(enter.data[2])
    assert joined < enter.time  # his place dates from his routing, not from the end of overload
    assert float(connect.data[0]) >= enter.time - joined  # the hold time counts the kept wait

"""The demo's callers: seeded customers' numbers (and a few unknown ones) reach the twin's
traffic, so a looked-up demo caller is found."""

from __future__ import annotations

from pathlib import Path

from atende.cli_twin import read_callers
from atende.db import make_engine
from atende.demo import DEMO_UNKNOWN_CALLERS, demo_callers, seed_erp
from erp_bridge.embedded.adapter import EmbeddedErp
from telephony.twin.traffic import demo_plan, plan_inbound


async def test_demo_callers_are_seeded_customers_and_some_unknown(sqlite_url: str) -> None:
    """After the demo seed, 40 callers are customers' phones (each found by the ERP) and the
    unknown ones find nobody."""
    engine = make_engine(sqlite_url)
    try:
        assert await seed_erp(engine, 60) is True
        callers = await demo_callers(engine)
        erp = EmbeddedErp(engine)
        known = [c for c in callers if c not in DEMO_UNKNOWN_CALLERS]
        assert len(known) == 40
        for number in known:
            assert not number.startswith("+")
            assert await erp.find_customers(phone=number) != []
        for number in DEMO_UNKNOWN_CALLERS:
            assert await erp.find_customers(phone=number) == []
    finally:
        await engine.dispose()


def test_the_traffic_calls_from_the_given_numbers_only(tmp_path: Path) -> None:
    """A callers file (comments and blank lines allowed) gives the numbers; every planned call
    comes from one of them, and all of them get used over a busy hour; without a list the
    numbers stay random as before."""
    path = tmp_path / "callers.txt"
    path.write_text("# demo callers\n5511987654321\n\n5521991234567  # Maria\n5511955550001\n")
    callers = read_callers(str(path))
    assert callers == ["5511987654321", "5521991234567", "5511955550001"]
    plan = demo_plan()
    plan.callers = callers
    calls = plan_inbound(plan, seed=3, horizon=3600)
    assert {c.caller_num for c in calls} == set(callers)
    random_numbers = {c.caller_num for c in plan_inbound(demo_plan(), seed=3, horizon=3600)}
    assert not random_numbers & set(callers)
    assert len(random_numbers) > 100

"""The ACD behind the AMI user ``asterisk-conf/manager.conf`` ships: its event filters drop
what the engine never reads (caller id updates, dial bookkeeping variables...) and calls are
still routed, answered, missed and ended as without them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from telephony.twin import AmiUser
from telephony.twin.manager_conf import read_manager_conf
from tests.conftest import migrated_sqlite
from tests.integration.acd_stack import AcdStack, bridged_agents, four_queues, running_acd
from tests.integration.conftest import eventually

SHIPPED = Path(__file__).resolve().parents[2] / "asterisk-conf" / "manager.conf"
AGENTS = {"2001": {"sales": 3}, "2002": {"support": 2}, "2003": {"sales": 1}}


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[AcdStack]:
    """Twin at 1/20 of real time whose ``atende`` user has the shipped filters."""
    user = AmiUser.from_manager(read_manager_conf(SHIPPED)["atende"], "atende")
    assert user.filters
    url = migrated_sqlite(tmp_path / "acd.db")
    async with running_acd(url, four_queues(), AGENTS, ami_user=user) as (twin, engine):
        yield AcdStack(twin, engine)


async def _queue_log(stack: AcdStack, wanted: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """(call, event) pairs of the queue log once ``wanted`` are all written (or 100 s of the
    twin's time went by)."""
    found: set[tuple[str, str]] = set()
    for _ in range(50):
        records: list[Any] = await stack.engine.acd_config.queue_log()
        found = {(r.call_id, r.event) for r in records}
        if wanted <= found:
            break
        await stack.twin.pbx.pause(None, 2)
    return found


async def test_filtered_events_answered_completed_and_abandoned_calls(stack: AcdStack) -> None:
    """Two callers reach agents with their skill and are answered; the support agent hangs up
    (COMPLETEAGENT), a collections caller gives up (ABANDON); the agents end available and the
    engine saw none of the filtered events."""
    twin = stack.twin
    twin.set_agent_phone("Local/2001@agents", answer=True, delay=1, talk_time=10)
    twin.set_agent_phone("Local/2003@agents", answer=True, delay=1, talk_time=10)
    twin.set_agent_phone("Local/2002@agents", answer=True, delay=0.2, talk_time=10)
    sales = await twin.place_inbound_call("1133330001", "5511999990001", "Maria")
    support = await twin.place_inbound_call("1133330002", "5511999990002", "Joao")
    left = await twin.place_inbound_call("1133330003", "5511999990003", "Ana", patience=20)
    assert sales is not None and support is not None and left is not None
    await eventually(lambda: len(bridged_agents(twin)) == 2, timeout=15)
    bridged = bridged_agents(twin)
    assert bridged[sales.linkedid] in ("2001", "2003")
    assert bridged[support.linkedid] == "2002"
    # the engine's channel table got ROUTE, not the variables the filters drop
    channels = [
        c for c in stack.engine.link.tracker.channels("pbx1") if c.call_id == sales.linkedid
    ]
    assert any(c.variables.get("ROUTE") == "queue:vendas" for c in channels)
    assert not any(
        {"BRIDGEPEER", "DIALSTATUS", "__ATENDE_DID"} & set(c.variables) for c in channels
    )
    await eventually(lambda: not stack.acd.calls, timeout=15)
    found = await _queue_log(
        stack,
        {
            (sales.linkedid, "CONNECT"),
            (support.linkedid, "COMPLETEAGENT"),
            (left.linkedid, "ABANDON"),
        },
    )
    assert (sales.linkedid, "CONNECT") in found
    assert (support.linkedid, "CONNECT") in found
    assert (support.linkedid, "COMPLETEAGENT") in found
    assert (left.linkedid, "ABANDON") in found
    assert stack.queue("vendas")["answered"] == stack.queue("suporte")["answered"] == 1
    assert stack.queue("cobranca")["abandoned"] == 1
    for agent in AGENTS:
        await eventually(lambda a=agent: stack.agent(a)["state"] == "available", timeout=10)


async def test_filtered_events_ring_no_answer_goes_to_the_next_agent(stack: AcdStack) -> None:
    """An agent who lets the phone ring out is logged RINGNOANSWER and paused; the caller is
    offered to the other sales agent, who answers."""
    twin = stack.twin
    twin.set_agent_phone("Local/2001@agents", answer=False)
    twin.set_agent_phone("Local/2003@agents", answer=False)
    caller = await twin.place_inbound_call("1133330001", "5511999990001", "Maria")
    assert caller is not None
    await eventually(lambda: stack.queue("vendas")["no_answers"] >= 1, timeout=15)
    missed = next(a for a in ("2001", "2003") if stack.agent(a)["pause_reason"] == "no answer")
    other = "2003" if missed == "2001" else "2001"
    twin.set_agent_phone(f"Local/{other}@agents", answer=True, delay=0.5)
    await eventually(lambda: caller.linkedid in bridged_agents(twin), timeout=15)
    assert bridged_agents(twin)[caller.linkedid] == other
    found = await _queue_log(
        stack, {(caller.linkedid, "RINGNOANSWER"), (caller.linkedid, "CONNECT")}
    )
    assert {(caller.linkedid, "RINGNOANSWER"), (caller.linkedid, "CONNECT")} <= found
    await eventually(lambda: stack.agent(missed)["state"] == "available", timeout=10)

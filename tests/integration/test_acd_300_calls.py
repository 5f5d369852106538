"""300 inbound calls through the twin: four queues, 25 agents with mixed skills, some phones
not answering, callers abandoning; every call ends answered by a skilled agent or abandoned, and
the engine's statistics equal what the twin saw."""

from __future__ import annotations

import asyncio
import random
from collections import deque
from pathlib import Path

from acd.domain.queue_log import QueueLogRecord
from acd.live.sql import agent_config
from atende.wiring import Engine
from telephony.twin import Twin
from telephony.twin.traffic import (
    AgentProfile,
    InboundLine,
    TrafficGenerator,
    TrafficPlan,
    plan_inbound,
)
from telephony.twin.wire import get
from tests.conftest import REDIS_URL, migrated_sqlite
from tests.integration.acd_stack import (
    DID_QUEUES,
    QUEUE_SKILLS,
    acd_settings,
    four_queues,
    product_twin,
    seed_acd,
)
from tests.integration.conftest import eventually

TIME_SCALE = 0.02
SEED = 7
HORIZON = 1500.0  # twin seconds (30 s of real time)


def _agents() -> dict[str, dict[str, int]]:
    rng = random.Random(SEED)
    skills = list(QUEUE_SKILLS.values())
    agents = {}
    for n in range(25):
        chosen = rng.sample(skills, k=1 + n % 3)
        agents[str(3001 + n)] = {s: rng.randint(1, 5) for s in chosen}
    return agents


def _outcome_diff(twin: Twin, book: list[QueueLogRecord], connected: set[str]) -> str:
    """For each call answered on one side only: the engine's queue log and the twin's events."""
    lines = []
    for call in sorted(connected ^ twin.answered_calls):
        lines.append(f"call {call}: engine CONNECT={call in connected}")
        lines += [f"  log {r.time} {r.event} {r.agent} {r.data}" for r in book if r.call_id == call]
        for m in twin.event_log:
            if get(m, "Linkedid") == call and get(m, "Event") not in ("VarSet", "Newexten"):
                fields = ("Event", "Channel", "DestChannel", "DialStatus", "BridgeNumChannels")
                lines.append("  ami " + " ".join(f"{k}={get(m, k)}" for k in fields if get(m, k)))
    return "\n".join(lines)


async def test_300_calls_end_answered_by_skill_or_abandoned(
    tmp_path: Path, redis_prefix: str
) -> None:
    """Every caller routed to a queue is connected to an agent holding the queue's skill, or
    hangs up waiting; per queue, offered/answered/abandoned equal the twin's counts of the
    callers routed on the queue's number (ROUTE set, as Asterisk shows it), whatever the
    engine's lag. Callers who hung up in the IVR before being routed are counted apart by
    the twin, by no queue."""
    agents = _agents()
    url = migrated_sqlite(tmp_path / "acd.db")
    await seed_acd(url, four_queues(), agents)
    lines = [InboundLine(did, calls_per_minute=3, mean_patience=60) for did in DID_QUEUES]
    profiles = {
        f"{ext}@agents": AgentProfile(
            answer_probability=0.6 if n % 5 == 0 else 1.0, mean_answer_delay=2, mean_talk_time=90
        )
        for n, ext in enumerate(agents)
    }
    plan = TrafficPlan(lines=lines, agents=profiles)
    calls = plan_inbound(plan, SEED, HORIZON)
    assert 280 <= len(calls) <= 340
    twin = product_twin(TIME_SCALE)
    twin.event_log = deque(maxlen=200_000)  # every event kept: a mismatch is shown in full
    phones = TrafficGenerator(twin, TrafficPlan(agents=profiles), SEED)  # phones only
    port = await twin.start()
    settings = acd_settings(
        port, url, redis_url=REDIS_URL, redis_key_prefix=redis_prefix, acd_no_answer_pause=0.5
    )
    engine = Engine(settings)
    await engine.start()
    twin.pbx.agi_address = ("127.0.0.1", engine.agi.port)
    assert engine.acd is not None and phones is not None
    await engine.acd.wait_ready()
    try:
        loop = asyncio.get_running_loop()
        begin = loop.time()
        placing: set[asyncio.Task[object]] = set()
        for call in calls:
            delay = begin + call.at * TIME_SCALE - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            # patience of at least 20 s (0.4 s real): callers leave while queued, not inside the
            # IVR, even on a loaded machine
            placing.add(
                asyncio.create_task(
                    twin.place_inbound_call(
                        call.did, call.caller_num, call.caller_name, max(20.0, call.patience)
                    )
                )
            )
        await asyncio.gather(*placing)

        def every_call_ended() -> bool:
            done = sum(
                s.answered_by_agent + s.abandoned + s.lost_before_routing
                for s in twin.stats.values()
            )
            return done == len(calls) and not engine.acd.calls  # type: ignore[union-attr]

        await eventually(every_call_ended, timeout=90)
        await asyncio.sleep(0.5)  # the last queue-log records reach the database
        stats = engine.acd.router.stats(engine.acd.clock())
        book = await engine.acd_config.queue_log()
        connected = {r.call_id for r in book if r.event == "CONNECT"}
        assert connected == twin.answered_calls, _outcome_diff(twin, book, connected)
        answered = abandoned = 0
        for did, queue in DID_QUEUES.items():
            seen = twin.stats[did]
            assert seen.arrived == seen.offered + seen.lost_before_routing, did
            mine = stats.queues[queue]
            assert (mine.offered, mine.answered, mine.abandoned) == (
                seen.offered,
                seen.answered_by_agent,
                seen.abandoned,
            ), queue
            answered += seen.answered_by_agent
            abandoned += seen.abandoned
        # the traffic reached agents (a loaded machine lags: more callers give up before an
        # agent answers, which the counts above follow whatever the lag)
        assert answered > len(calls) // 4 and abandoned > 5
        assert sum(s.no_answers for s in stats.queues.values()) > 0
        shown = {q["queue"]: q for q in engine.acd.live_view()["queues"]}  # rebuilt from the log
        for queue, q in shown.items():
            mine = stats.queues[queue]
            assert (q["offered"], q["answered"], q["abandoned"]) == (
                mine.offered,
                mine.answered,
                mine.abandoned,
            )
        connects = [r for r in book if r.event == "CONNECT"]
        assert len(connects) == answered
        configs = {row["agent"]: agent_config(row) for row in await engine.acd_config.agents()}
        for record in connects:
            assert QUEUE_SKILLS[record.queue] in configs[record.agent].skills, record
    finally:
        await engine.stop()
        await twin.stop()

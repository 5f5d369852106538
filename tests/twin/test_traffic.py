"""The seeded traffic generator and the ``atende twin`` entry point."""

from __future__ import annotations

import asyncio
import os
import signal

import structlog

from atende.cli_twin import twin_config
from atende.settings import Settings
from telephony.twin import Twin, TwinConfig
from telephony.twin.cli import run_twin
from telephony.twin.traffic import (
    AgentProfile,
    CustomerMix,
    InboundLine,
    TrafficGenerator,
    TrafficPlan,
    customer_for,
    plan_inbound,
)
from tests.twin.client import AmiClient, eventually

PLAN = TrafficPlan(
    lines=[InboundLine("1133330001", 30, mean_patience=5), InboundLine("1133330002", 12)],
    agents={"2001@agents": AgentProfile(answer_probability=0.5, busy_probability=0.25)},
)


def test_same_seed_same_calls() -> None:
    """A seed fixes arrival times, callers and patience; another seed changes them."""
    first = plan_inbound(PLAN, seed=7, horizon=120)
    assert first == plan_inbound(PLAN, seed=7, horizon=120)
    assert first != plan_inbound(PLAN, seed=8, horizon=120)
    assert [c.at for c in first] == sorted(c.at for c in first)
    assert {c.did for c in first} == {"1133330001", "1133330002"}
    assert all(c.caller_num.startswith("55119") and c.patience > 0 for c in first)


def test_customer_outcomes_follow_the_mix() -> None:
    """Outcome shares are close to the mix and stable per number."""
    mix = CustomerMix(machine=0.2, busy=0.1, noanswer=0.1, congestion=0.0, fail=0.0)
    outcomes = [customer_for(mix, 3, f"55119{n:08d}").outcome for n in range(2000)]
    assert abs(outcomes.count("machine") / 2000 - 0.2) < 0.04
    assert abs(outcomes.count("human") / 2000 - 0.6) < 0.04
    assert "congestion" not in outcomes
    assert customer_for(mix, 3, "5511900000001") == customer_for(mix, 3, "5511900000001")


async def test_generator_offers_the_planned_calls() -> None:
    """Running the plan places exactly the planned calls on each number."""
    twin = Twin(TwinConfig(agi_address=("127.0.0.1", 9), time_scale=0.005))
    await twin.start()
    generator = TrafficGenerator(twin, PLAN, seed=11)
    planned = plan_inbound(PLAN, seed=11, horizon=60)
    try:
        generator.start(horizon=60)
        assert generator._runner is not None
        await asyncio.wait_for(asyncio.shield(generator._runner), 5)
        await eventually(lambda: sum(s.arrived for s in twin.stats.values()) == len(planned))
    finally:
        await generator.stop()
        await twin.stop()
    for did in ("1133330001", "1133330002"):
        assert twin.stats[did].arrived == sum(1 for c in planned if c.did == did)


async def test_run_twin_serves_ami_until_interrupted() -> None:
    """``atende twin`` serves AMI with the engine's user and stops cleanly on SIGTERM."""
    config = twin_config(Settings(twin_ami_port=0, agi_port=9))
    assert config.users["atende"].secret == "atende" and config.agi_address == ("127.0.0.1", 9)
    client = AmiClient()
    with structlog.testing.capture_logs() as logs:
        task = asyncio.create_task(run_twin(config, seed=1))
        try:
            await eventually(lambda: any(e["event"] == "twin_started" for e in logs))
            port = next(e["ami_port"] for e in logs if e["event"] == "twin_started")
            await client.connect(port)
            assert (await client.login("atende", "atende"))["Response"] == "Success"
        finally:
            await client.close()
            os.kill(os.getpid(), signal.SIGTERM)
        assert await asyncio.wait_for(task, 5) == 0
    assert any(e["event"] == "twin_stopped" for e in logs)


def test_outbound_customers_follow_the_mix_with_the_traced_amd_verdicts() -> None:
    """Dialer customers answer in person, by machine, silently, busy or not at all in the
    mix's shares (stable per number), and AMD concludes what the product_dialer_* traces
    recorded: HUMAN-800-800, LONGGREETING-1500-1500, INITIALSILENCE-2500-2500."""
    mix = CustomerMix(machine=0.2, silent=0.1, busy=0.1, noanswer=0.1, congestion=0.0, fail=0.0)
    numbers = [f"5511977{n:06d}" for n in range(4000)]
    outcomes = [customer_for(mix, 3, n).outcome for n in numbers]
    assert outcomes == [customer_for(mix, 3, n).outcome for n in numbers]
    share = {o: outcomes.count(o) / len(outcomes) for o in set(outcomes)}
    for outcome, want in (("machine", 0.2), ("silent", 0.1), ("busy", 0.1), ("human", 0.5)):
        assert abs(share[outcome] - want) < 0.03, (outcome, share)
    verdicts = {
        o: customer_for(mix, 3, n).amd()[:2] for n, o in zip(numbers, outcomes, strict=True)
    }
    assert verdicts["human"] == ("HUMAN", "HUMAN-800-800")
    assert verdicts["machine"] == ("MACHINE", "LONGGREETING-1500-1500")
    assert verdicts["silent"] == ("MACHINE", "INITIALSILENCE-2500-2500")

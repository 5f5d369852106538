"""A 2,000-lead campaign through the Asterisk twin over TCP: 20 agents, the product dialplan,
the engine (ACD + dialer) as ``atende serve`` wires it, progressive 1:1 and predictive.

Customers answer in person (about 57%), are machines (15%), silent people (5%), busy,
do not answer or fail as ``telephony.twin.traffic.CustomerMix`` says; agents answer at once
and talk ``--talk`` seconds (twin time). The twin and the dialer run ``--scale`` times faster
than real time (0.2: five times faster). Printed per mode: wall time, attempts by result,
people reached and connected, abandons and the rate (with AMD false positives) against the
3% cap, leads left not final, and agents' talk share.

    python bench/dialer_campaign.py [--leads 2000] [--agents 20] [--scale 0.2] [--talk 20]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import structlog

from acd.domain import QueueConfig
from acd.live.sql import AcdConfigStore
from atende.db import make_engine, upgrade
from atende.settings import AmiServer, load_settings
from atende.wiring import Engine
from campaigns.app.upload_list import UploadRequest, upload_list
from campaigns.dialer.plan import DialingPlan
from campaigns.dialer.runtime import FixedPlans
from campaigns.dialer.sql import SqlDialerStore
from campaigns.domain.profiles import BR
from campaigns.files.source import file_sha256, open_rows
from campaigns.sql.store import SqlListStore
from telephony.twin import AmiUser, Twin, TwinConfig
from telephony.twin.behaviour import AgentPhone
from telephony.twin.traffic import CustomerMix, customer_for

#: Wednesday 2 December 2026, 09:30 in São Paulo (the BR window is open)
OPENING = datetime(2026, 12, 2, 12, 30, tzinfo=UTC)
MIX = CustomerMix(
    machine=0.15, silent=0.05, busy=0.1, noanswer=0.1, congestion=0.02, fail=0.01,
    mean_answer_delay=3.0,
)  # fmt: skip


async def _seed(url: str, campaign: str, leads: int, agents: int, tmp: Path) -> None:
    await asyncio.to_thread(upgrade, url)
    db = make_engine(url)
    try:
        config = AcdConfigStore(db)
        await config.save_queue(QueueConfig(name="ativo", skills={"sales": 1}))
        for n in range(agents):
            await config.save_agent(str(3001 + n), interface=f"Local/{3001 + n}@agents",
                                    skills={"sales": 1})  # fmt: skip
        path = tmp / f"{campaign}.csv"
        rows = ["Nome;Telefone;UF"] + [f"Lead {n};119{7000_0000 + n:08d};SP" for n in range(leads)]
        path.write_text("\r\n".join(rows) + "\r\n", encoding="utf-8")
        request = UploadRequest(f"{campaign}-list", path.name, file_sha256(path), campaign)
        await upload_list(SqlListStore(db), open_rows(path), request, clock=lambda: OPENING)
    finally:
        await db.dispose()


async def run(mode: str, leads: int, agents: int, scale: float, talk: float) -> None:
    """One campaign to the end; prints its figures."""
    tmp = Path(tempfile.mkdtemp(prefix="atende-bench-dialer-"))
    url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    campaign = f"bench-{mode}"
    await _seed(url, campaign, leads, agents, tmp)
    twin = Twin(TwinConfig(users={"atende": AmiUser("atende")}, time_scale=scale,
                           product_inbound=True))  # fmt: skip
    twin.customer_source = lambda number: customer_for(MIX, 11, number)
    for n in range(agents):
        twin.phones[f"{3001 + n}@agents"] = AgentPhone(True, 0.0, talk)
    port = await twin.start()
    settings = load_settings(
        database_url=url, agi_port=0, http_port=0, acd_login_on_start=True,
        ami_servers=[AmiServer(name="pbx1", port=port, username="atende", secret="atende")],
        dialer_channel="Local/{number}@customers", dialer_tick_interval=0.05,
        acd_tick_interval=0.1, dialer_max_lines=200,
    )  # fmt: skip
    plan = DialingPlan(campaign_id=campaign, kind="telemarketing", queue="ativo", mode=mode,
                       profile=BR, caller_id="030312345678", ring_seconds=20)  # fmt: skip
    engine = Engine(settings, campaign_plans=FixedPlans({campaign: plan}))
    await engine.start()
    assert engine.dialer is not None and engine.acd is not None
    began, origin = time.monotonic(), OPENING.timestamp()
    engine.dialer.clock = lambda: origin + (time.monotonic() - began) / scale
    try:
        await engine.acd.wait_ready(30)
        await engine.dialer.start(campaign)
        while True:
            await asyncio.sleep(1)
            figures = engine.dialer.figures(campaign)
            assert figures is not None
            if figures.lines_in_use == 0 and sum(figures.results.values()) >= leads:
                break
        wall = time.monotonic() - began
        await asyncio.sleep(1)  # the last tick stores what finished
        attempts = await SqlDialerStore(engine.db).attempts(campaign)
    finally:
        await engine.stop()
        await twin.stop()
    twin_seconds = wall / scale
    talk_share = figures.connected * talk / (agents * twin_seconds)
    print(
        f"{mode:<12} {wall:6.1f} s wall ({twin_seconds / 60:5.1f} min twin)  "
        f"attempts {len(attempts)}  results {dict(sorted(figures.results.items()))}\n"
        f"{'':12} people {figures.answered}  connected {figures.connected}  "
        f"abandoned {figures.abandoned}  rate {figures.abandon_rate:.2%} (cap "
        f"{figures.abandon_cap:.0%})  leads not final {figures.remaining_leads}  "
        f"agents talking {talk_share:.0%} of the time",
        flush=True,
    )


def main() -> None:
    """Parse the options and run both modes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=2000)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--scale", type=float, default=0.2)
    parser.add_argument("--talk", type=float, default=20.0)
    parser.add_argument("--modes", nargs="+", default=["progressive", "predictive"])
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    for mode in args.modes:
        asyncio.run(run(mode, args.leads, args.agents, args.scale, args.talk))


if __name__ == "__main__":
    main()

"""Benchmark of the supervisor's live floor: pages on the pushed stream against pages polling.

One run, three phases under the same twin traffic (inbound callers answered by agents, about
``--events`` AMI events a second): no page (the baseline), ``--pages`` pages on
``/api/floor/ws``, then as many pages polling ``/api/calls`` and ``/api/acd/live`` every
second as the old page did. The engine runs in a process of its own so its CPU time is its
own; the twin and the pages run here. Latency is from the AMI event that opens a call (the
twin's ``Newchannel``, stamped when the twin emits it) to each page seeing that call.

    python bench/live_push.py [--pages 200] [--seconds 30] [--events 100]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import structlog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from acd.domain import QueueConfig
from acd.live.sql import AcdConfigStore
from atende.auth import Role, UserStore
from atende.db import make_engine, upgrade
from atende.passwords import PasswordPool
from telephony.twin import AmiUser, Twin, TwinConfig

DID = "1133330001"
KEY = re.compile(r'"pbx1/([0-9.]+)"')  # a call's key in the stream's "calls" section
TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def pct(samples: list[float], p: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


class Traffic:
    """Inbound callers at a steady rate; the first AMI event of each call is timestamped."""

    def __init__(self, twin: Twin, calls_per_second: float) -> None:
        self.twin = twin
        self.rate = calls_per_second
        self.opened: dict[str, float] = {}  # linkedid -> when its first event was emitted
        self.events = 0
        twin.pbx.listeners.append(self._observe)

    def _observe(self, message: list[tuple[str, str]]) -> None:
        self.events += 1
        fields = dict(message)
        if fields.get("Event") == "Newchannel":
            linkedid = fields.get("Linkedid", "")
            self.opened.setdefault(linkedid, time.time())

    async def run(self) -> None:
        rng = random.Random(7)
        n = 0
        while True:
            n += 1
            number = f"55119{n:08d}"
            with contextlib.suppress(Exception):
                await self.twin.place_inbound_call(DID, number, "Bench", patience=60)
            await asyncio.sleep(rng.expovariate(self.rate))


async def push_page(
    http: aiohttp.ClientSession, url: str, token: str, traffic: Traffic, samples: list[float]
) -> None:
    seen: set[str] = set()
    headers = {"Authorization": f"Bearer {token}"}
    async with http.ws_connect(url, headers=headers, max_msg_size=0) as ws:
        joined = time.time()  # calls opened before are in the snapshot: not counted
        async for msg in ws:
            now = time.time()
            for linkedid in KEY.findall(msg.data):
                if linkedid not in seen:
                    seen.add(linkedid)
                    opened = traffic.opened.get(linkedid)
                    if opened is not None and opened > joined:
                        samples.append(now - opened)


async def poll_page(
    http: aiohttp.ClientSession, base: str, token: str, traffic: Traffic, samples: list[float]
) -> None:
    seen: set[str] = set()
    headers = {"Authorization": f"Bearer {token}"}
    await asyncio.sleep(random.random())  # pages opened at different moments
    joined = time.time()
    while True:
        started = time.monotonic()
        async with http.get(base + "/api/calls", headers=headers) as resp:
            calls = (await resp.json())["calls"]
        async with http.get(base + "/api/acd/live", headers=headers) as resp:
            await resp.read()
        now = time.time()
        for call in calls:
            if call["linkedid"] not in seen:
                seen.add(call["linkedid"])
                opened = traffic.opened.get(call["linkedid"])
                if opened is not None and opened > joined:
                    samples.append(now - opened)
        await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - started)))


async def phase(
    name: str, pid: int, traffic: Traffic, seconds: float, pages: list[asyncio.Task[None]]
) -> tuple[str, float, float, float]:
    await asyncio.sleep(3)  # the pages connect and settle
    events, cpu, started = traffic.events, cpu_seconds(pid), time.monotonic()
    own = cpu_seconds(os.getpid())
    await asyncio.sleep(seconds)
    elapsed = time.monotonic() - started
    used = cpu_seconds(pid) - cpu
    ours = (cpu_seconds(os.getpid()) - own) / elapsed
    rate = (traffic.events - events) / elapsed
    for task in pages:
        task.cancel()
    for task in pages:
        with contextlib.suppress(asyncio.CancelledError, aiohttp.ClientError):
            await task
    return name, used / elapsed, rate, ours


async def seed(url: str, agents: int) -> str:
    await asyncio.to_thread(upgrade, url)
    db = make_engine(url)
    store = AcdConfigStore(db)
    await store.save_queue(QueueConfig(name="vendas", skills={"sales": 1}))
    for i in range(agents):
        await store.save_agent(
            f"{3000 + i}", interface=f"Local/{3000 + i}@agents", skills={"sales": 2}
        )
    users = UserStore(db, PasswordPool(1))
    await users.create_user("bench", "a-long-bench-password", Role.SUPERVISOR)
    token = await users.issue_token(await users.user_id("bench"), "bench", None)
    users.close()
    await db.dispose()
    return token


async def main(args: argparse.Namespace) -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    folder = tempfile.mkdtemp(prefix="live-push-")
    url = f"sqlite+aiosqlite:///{folder}/bench.db"
    token = await seed(url, args.agents)
    twin = Twin(
        TwinConfig(
            ami_port=0, users={"atende": AmiUser("atende")}, time_scale=0.1, product_inbound=True
        )
    )
    ami_port = await twin.start()
    http_port, agi_port = free_port(), free_port()
    twin.pbx.agi_address = ("127.0.0.1", agi_port)
    for i in range(args.agents):
        twin.set_agent_phone(f"Local/{3000 + i}@agents", answer=True, delay=0.3, talk_time=4.0)
    env = {
        **os.environ,
        "ATENDE_DATABASE_URL": url,
        "ATENDE_AMI_SERVERS": f"ami://atende:atende@127.0.0.1:{ami_port}/pbx1",
        "ATENDE_AGI_PORT": str(agi_port),
        "ATENDE_HTTP_PORT": str(http_port),
        "ATENDE_IVR_DID_QUEUES": json.dumps({DID: "vendas"}),
        "ATENDE_ACD_LOGIN_ON_START": "true",
        "ATENDE_LOG_LEVEL": "error",
        "ATENDE_LOG_FORMAT": "json",
    }
    code = "import sys; from atende.cli import main; sys.exit(main(['serve']))"
    engine = subprocess.Popen(  # noqa: ASYNC220 (started once, waited for at the end)
        [sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{http_port}"
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
        for _ in range(200):
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(base + "/readyz") as resp:
                    if resp.status == 200:
                        break
            await asyncio.sleep(0.2)
        calls_per_second = args.events / args.events_per_call
        traffic = Traffic(twin, calls_per_second)
        generator = asyncio.create_task(traffic.run())
        await asyncio.sleep(5)  # the floor fills up
        pushed: list[float] = []
        polled: list[float] = []
        results = [await phase("no page (baseline)", engine.pid, traffic, args.seconds, [])]
        push_tasks = [
            asyncio.create_task(push_page(http, base.replace("http", "ws") + "/api/floor/ws",
                                          token, traffic, pushed))
            for _ in range(args.pages)
        ]  # fmt: skip
        results.append(
            await phase(f"{args.pages} pages pushed", engine.pid, traffic, args.seconds, push_tasks)
        )
        poll_tasks = [
            asyncio.create_task(poll_page(http, base, token, traffic, polled))
            for _ in range(args.pages)
        ]
        results.append(
            await phase(f"{args.pages} pages polling 1/s", engine.pid, traffic, args.seconds,
                        poll_tasks)
        )  # fmt: skip
        generator.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await generator
    engine.terminate()
    await asyncio.to_thread(engine.wait, 20)
    await twin.stop()
    print(f"twin traffic: about {calls_per_second:.1f} calls/s; {args.agents} agents; "
          f"{args.seconds:.0f} s per phase, engine in its own process")  # fmt: skip
    print(f"{'phase':<28}{'engine CPU':>12}{'AMI events/s':>14}{'bench CPU':>12}")
    for name, cpu, rate, ours in results:
        print(f"{name:<28}{cpu * 100:>11.1f}%{rate:>14.0f}{ours * 100:>11.1f}%")
    print(f"{'latency AMI event -> page':<28}{'p50 ms':>12}{'p99 ms':>14}{'samples':>10}")
    print(f"{'pushed':<28}{pct(pushed, 0.5):>12.0f}{pct(pushed, 0.99):>14.0f}{len(pushed):>10}")
    print(
        f"{'polling 1/s':<28}{pct(polled, 0.5):>12.0f}{pct(polled, 0.99):>14.0f}{len(polled):>10}"
    )
    push_cpu, poll_cpu = results[1][1], results[2][1]
    verdict = "met" if pct(pushed, 0.99) < 200 and push_cpu < poll_cpu else "NOT met"
    print(f"goal (pushed p99 < 200 ms and less engine CPU than polling): {verdict}")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine load average (1, 5, 15 min): {load} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--events", type=float, default=100.0, help="AMI events a second")
    parser.add_argument(
        "--events-per-call", type=float, default=160.0, help="AMI events one bench call makes"
    )
    parser.add_argument("--agents", type=int, default=60)
    asyncio.run(main(parser.parse_args()))

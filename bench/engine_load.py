# ruff: noqa: ASYNC110, ASYNC220, ASYNC230, ASYNC240
"""Engine load benchmark: one engine process against the twin at rising calls per second.

The twin (this process, real time) runs the product's inbound dialplan and its AMI user as
``asterisk-conf/manager.conf`` ships it (event filters included); the engine runs as
its own process (``atende serve``: AMI link, FastAGI IVR, ACD, Redis store, SQLite queue log),
500 agents logged in at start, four numbers each routed to its queue, every agent holding
every queue's skill. Phones answer after ``--answer`` s and the agent hangs up after
``--talk`` s; callers give up after an exponential patience (mean ``--patience`` s, at most
2.5 times it).

Each step places calls at one rate for ``--step`` seconds, then lets every call end (no
new calls) and waits for the engine to be level (a final queue-log record for every call
the twin routed) before the next step. Per step it prints:

- ``peak``: concurrent inbound callers in the twin (callers alive, waiting or talking);
- ``lag p95/max``: queue-log time minus the twin's time for the same call (CONNECT against
  the twin's bridge, ABANDON/EXIT* against the caller's hangup), in seconds;
- ``wrong``: calls whose outcome differs (answered on one side only, a routed call with no
  final record, a RINGNOANSWER while every phone answers, a final record for a call the
  twin never routed);
- ``kept``: callers the engine declared overload for (``acd_overload``: kept on hold by the
  dialplan's fallback and queued once it is level again);
- ``level``: seconds from the twin's last hangup to the engine's last final record;
- ``cpu_ms/call``: the engine process's CPU (``/proc/<pid>/stat``) over the step and its
  drain, per call placed; ``net_ms``: the same less what the idle engine (500 agents, no
  call, measured first) spends in that time; ``cpu%``: of one core while calls were placed.

With ``--against REV`` (e.g. ``--against 93a0475``) the same steps run side by side with
the engine of another revision, checked out in a temporary worktree: for each rate this
tree's run, then the other's (each a fresh engine, twin and database, the same seed), so a
drift of the machine's load touches both; it prints both rows and the CPU ratio per step.

Run: ``python bench/engine_load.py`` (``--rates 25,50,100,125,150 --step 20 --talk 60``);
``--profile out.prof`` runs the engine under cProfile (``python -m pstats out.prof``).
``--talk`` may be shortened (e.g. 30) on a busy machine: capacity is ``agents / talk``
calls/s answered, the rest wait and abandon, as with a longer talk. ``--env
ATENDE_ACD_MAX_BACKLOG=1`` shows the declared overload sooner. On a shared 2-core box the
lag and CPU figures move with the other load: compare runs made one after the other.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[1]
DID_QUEUES = {
    "1133330001": "vendas",
    "1133330002": "suporte",
    "1133330003": "cobranca",
    "1133330004": "retencao",
}
SKILLS = {"vendas": "sales", "suporte": "support", "cobranca": "billing", "retencao": "retention"}
FINAL = {"CONNECT", "ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY", "FULL", "JOINEMPTY"}
CLK_TCK = os.sysconf("SC_CLK_TCK")


def engine_child(profile: str | None) -> int:
    """Run the engine (settings from the environment), under cProfile with ``profile``."""
    from atende.logs import configure_logging
    from atende.settings import load_settings
    from atende.wiring import run_engine

    settings = load_settings()
    configure_logging(settings.log_format, settings.log_level, cache=True)  # as ``atende serve``
    if not profile:
        return asyncio.run(run_engine(settings))
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        return asyncio.run(run_engine(settings))
    finally:
        profiler.disable()
        profiler.dump_stats(profile)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


async def seed(database_url: str, agents: int) -> None:
    from acd.domain import QueueConfig
    from tests.integration.acd_stack import seed_acd

    queues = [QueueConfig(name=q, skills={s: 1}) for q, s in SKILLS.items()]
    skills = {s: 1 for s in SKILLS.values()}
    await seed_acd(database_url, queues, {str(10001 + n): dict(skills) for n in range(agents)})


@dataclass
class TwinWatch:
    """The twin's time for each call: bridged with an agent, last channel hung up."""

    bridged: dict[str, float] = field(default_factory=dict)
    ended: dict[str, float] = field(default_factory=dict)
    routed: set[str] = field(default_factory=set)
    alive: set[str] = field(default_factory=set)  # callers placed, none of their legs gone

    def event(self, message: Any) -> None:
        from telephony.twin.wire import get

        event = get(message, "Event")
        if event == "BridgeEnter" and get(message, "BridgeNumChannels") == "2":
            self.bridged.setdefault(get(message, "Linkedid"), time.time())
        elif event == "VarSet" and get(message, "Variable") == "ROUTE" and get(message, "Value"):
            self.routed.add(get(message, "Linkedid"))

    def hangup(self, channel: Any) -> None:
        self.ended[channel.linkedid] = time.time()
        self.alive.discard(channel.linkedid)


@dataclass
class StepResult:
    rate: int
    calls: int = 0
    routed: int = 0
    peak: int = 0
    answered: int = 0
    abandoned: int = 0
    wrong: int = 0
    kept: int = 0
    lags: list[float] = field(default_factory=list)
    level: float | None = None
    cpu: float = 0.0
    cpu_net: float = 0.0  # less what the idle engine spends in the same time
    cpu_busy: float = 0.0
    wrong_examples: list[str] = field(default_factory=list)

    def row(self) -> str:
        lags = sorted(self.lags)
        p95 = lags[int(0.95 * (len(lags) - 1))] if lags else float("nan")
        worst = lags[-1] if lags else float("nan")
        level = "never" if self.level is None else f"{self.level:.1f}"
        return (
            f"{self.rate:>5} {self.calls:>6} {self.routed:>6} {self.peak:>6} {self.answered:>6} "
            f"{self.abandoned:>6} {p95:>7.2f} {worst:>7.2f} {self.wrong:>6} {self.kept:>6} "
            f"{level:>6} {1000 * self.cpu / max(1, self.calls):>8.2f} "
            f"{1000 * self.cpu_net / max(1, self.calls):>8.2f} {self.cpu_busy:>5.0f}"
        )


HEADER = (
    "calls/s  calls routed   peak answd  aband lag_p95 lag_max  wrong   kept  level  "
    "cpu_ms/call  net_ms  cpu%"
)


def queue_log(db_path: Path, since_id: int) -> list[tuple[int, float, str, str, str]]:
    with contextlib.closing(sqlite3.connect(db_path, timeout=30)) as conn:
        return list(
            conn.execute(
                "select id, time, call_id, agent, event from acd_queue_log where id > ?"
                " order by id",
                (since_id,),
            )
        )


async def run_step(
    twin: Any,
    watch: TwinWatch,
    pid: int,
    db_path: Path,
    rate: int,
    args: argparse.Namespace,
    rng: random.Random,
    last_id: int,
) -> tuple[StepResult, int]:
    result = StepResult(rate)
    loop = asyncio.get_running_loop()
    placing: set[asyncio.Task[Any]] = set()
    mine: list[str] = []
    dids = list(DID_QUEUES)
    cpu0 = cpu_seconds(pid)
    begin = loop.time()
    at = 0.0

    async def place(did: str) -> None:
        info = await twin.place_inbound_call(
            did,
            f"55119{rng.randint(10_000_000, 99_999_999)}",
            "Bench",
            min(rng.expovariate(1 / args.patience), 2.5 * args.patience),
        )
        if info is not None:
            mine.append(info.linkedid)
            if info.linkedid not in watch.ended:
                watch.alive.add(info.linkedid)

    async def sample() -> None:
        while True:
            result.peak = max(result.peak, len(watch.alive))
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample())

    while at < args.step:
        delay = begin + at - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(place(dids[result.calls % len(dids)]))
        placing.add(task)
        task.add_done_callback(placing.discard)
        result.calls += 1
        at += rng.expovariate(rate)
    result.cpu_busy = 100 * (cpu_seconds(pid) - cpu0) / max(0.001, loop.time() - begin)
    await asyncio.gather(*placing)
    # every call of the step ends in the twin (patience, talk)
    deadline = loop.time() + args.patience * 2.5 + args.talk * 2 + 60
    while loop.time() < deadline and any(c not in watch.ended for c in mine):
        await asyncio.sleep(0.5)
    sampler.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await sampler
    twin_done = max((watch.ended.get(c, 0.0) for c in mine), default=time.time())
    routed = [c for c in mine if c in watch.routed]
    result.routed = len(routed)
    # the engine is level once every routed call has its final record (30 s at most)
    finals: dict[str, tuple[float, str]] = {}
    records: list[tuple[int, float, str, str, str]] = []
    wait_until = loop.time() + args.level_wait
    while True:
        new = queue_log(db_path, last_id)
        if new:
            last_id = new[-1][0]
        records += new
        for _, t, call, _, event in new:
            if event in FINAL and call not in finals:
                finals[call] = (t, event)
        if all(c in finals for c in routed) or loop.time() > wait_until:
            break
        await asyncio.sleep(1.0)
    result.cpu = cpu_seconds(pid) - cpu0
    result.cpu_net = max(0.0, result.cpu - args.idle_cpu * (loop.time() - begin))
    last_final = max((t for t, _ in finals.values()), default=0.0)
    if all(c in finals for c in routed):
        result.level = max(0.0, last_final - twin_done)
    answered = set(twin.answered_calls)
    placed = set(mine)
    for call in routed:
        twin_answered = call in answered
        final = finals.get(call)
        if twin_answered:
            result.answered += 1
        else:
            result.abandoned += 1
        if final is None:
            result.wrong += 1
            result.wrong_examples.append(f"{call}: no final record (twin answered={twin_answered})")
            continue
        t, event = final
        if (event == "CONNECT") != twin_answered:
            result.wrong += 1
            result.wrong_examples.append(f"{call}: engine {event}, twin answered={twin_answered}")
        twin_t = watch.bridged.get(call) if event == "CONNECT" else watch.ended.get(call)
        if twin_t is not None:
            result.lags.append(t - twin_t)
    for _, _, call, agent, event in records:
        if event == "RINGNOANSWER" and call in placed:
            result.wrong += 1
            result.wrong_examples.append(f"{call}: RINGNOANSWER for {agent}")
        if event in FINAL and call in placed and call not in watch.routed:
            result.wrong += 1
            result.wrong_examples.append(f"{call}: {event} but never routed")
    return result, last_id


async def main(args: argparse.Namespace) -> int:
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    from telephony.twin import AmiUser, Twin, TwinConfig
    from telephony.twin.behaviour import AgentPhone
    from telephony.twin.manager_conf import read_manager_conf

    tmp = Path(tempfile.mkdtemp(prefix="atende-load-"))
    db_path = tmp / "acd.db"
    database_url = f"sqlite+aiosqlite:///{db_path}"
    await seed(database_url, args.agents)
    # the AMI user as shipped (its event filters), with the secret the engine is given
    user = AmiUser.from_manager(
        read_manager_conf(ROOT / "asterisk-conf" / "manager.conf")["atende"], "atende"
    )
    twin = Twin(
        TwinConfig(
            ami_port=0, users={"atende": user}, time_scale=1.0,
            product_inbound=True, event_log_size=1000,
        )
    )  # fmt: skip
    watch = TwinWatch()
    twin.pbx.listeners.append(watch.event)
    twin.pbx.on_hangup.append(watch.hangup)
    phone = AgentPhone(True, args.answer, args.talk)
    twin.phone_source = lambda interface: phone if interface.endswith("@agents") else None
    port = await twin.start()
    agi_port = free_port()
    twin.pbx.agi_address = ("127.0.0.1", agi_port)
    prefix = f"bench-load-{uuid.uuid4().hex[:8]}:"
    env = {
        **os.environ,
        "ATENDE_DATABASE_URL": database_url,
        "ATENDE_REDIS_URL": args.redis,
        "ATENDE_REDIS_KEY_PREFIX": prefix,
        "ATENDE_AMI_SERVERS": f"ami://atende:atende@127.0.0.1:{port}/pbx1",
        "ATENDE_AGI_PORT": str(agi_port),
        "ATENDE_HTTP_PORT": str(free_port()),
        "ATENDE_IVR_DID_QUEUES": json.dumps(DID_QUEUES),
        "ATENDE_ACD_LOGIN_ON_START": "true",
        "ATENDE_ACD_NO_ANSWER_PAUSE": "5",
        "ATENDE_LOG_FORMAT": "json",
        "ATENDE_LOG_LEVEL": args.log_level,
        **dict(kv.split("=", 1) for kv in args.env),
    }
    cmd = [sys.executable, str(Path(__file__).resolve()), "--engine-child"]
    if args.profile:
        cmd += ["--profile", args.profile]
    log_path = tmp / "engine.log"
    with open(log_path, "wb") as engine_log:
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=engine_log, stderr=subprocess.STDOUT)
    print(f"engine pid {proc.pid}, log {log_path}", flush=True)
    rng = random.Random(args.seed)
    results: list[StepResult] = []
    try:
        await wait_agents(args.redis, prefix, args.agents, proc)
        last_id = max((r[0] for r in queue_log(db_path, 0)), default=0)
        idle0, began = cpu_seconds(proc.pid), time.monotonic()
        await asyncio.sleep(args.idle)
        args.idle_cpu = (cpu_seconds(proc.pid) - idle0) / (time.monotonic() - began)
        print(f"idle engine ({args.agents} agents, no call): {100 * args.idle_cpu:.1f}% of a core")
        print(HEADER, flush=True)
        for rate in args.rates:
            result, last_id = await run_step(
                twin, watch, proc.pid, db_path, rate, args, rng, last_id
            )
            result.kept = count_log(log_path, "acd_overload_caller_kept")
            results.append(result)
            print(result.row(), flush=True)
            for line in result.wrong_examples[:5]:
                print("   ", line, flush=True)
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        await twin.stop()
        await forget(args.redis, prefix)
    if args.json:
        Path(args.json).write_text(
            json.dumps([{k: v for k, v in vars(r).items() if k != "lags"} for r in results])
        )
    return 0


def count_log(path: Path, event: str) -> int:
    with contextlib.suppress(OSError):
        return path.read_text(errors="replace").count(f'"event": "{event}"')
    return 0


async def wait_agents(
    redis_url: str, prefix: str, agents: int, proc: subprocess.Popen[bytes]
) -> None:
    import redis.asyncio as aioredis

    client = aioredis.from_url(redis_url)
    try:
        for _ in range(240):
            if proc.poll() is not None:
                raise SystemExit(f"engine exited with {proc.returncode}")
            if await client.hlen(f"{prefix}acd:agents") >= agents:
                await asyncio.sleep(2)
                return
            await asyncio.sleep(0.5)
        raise SystemExit("agents not logged in after 120 s")
    finally:
        await client.aclose()


async def forget(redis_url: str, prefix: str) -> None:
    import redis.asyncio as aioredis

    client = aioredis.from_url(redis_url)
    try:
        keys = [k async for k in client.scan_iter(f"{prefix}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


#: options handed unchanged to each run of ``--against``
_PASSED = ("step", "agents", "talk", "answer", "patience", "level_wait", "seed", "idle", "redis")


def against(args: argparse.Namespace) -> int:
    """Each rate with this tree's engine, then with ``args.against``'s; both rows and ratios."""
    with tempfile.TemporaryDirectory(prefix="atende-against-") as tmp:
        other = Path(tmp) / "tree"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(other), args.against],
            check=True, capture_output=True,
        )  # fmt: skip
        try:
            flags = [f"--{n.replace('_', '-')}={getattr(args, n)}" for n in _PASSED]
            flags += ["--log-level", args.log_level, *(f"--env={kv}" for kv in args.env)]
            rows: dict[tuple[str, int], dict[str, Any]] = {}
            for rate in args.rates:
                for label, tree in (("this", ROOT), (args.against, other)):
                    out = Path(tmp) / f"{label}-{rate}.json"
                    bench = str(tree / "bench" / "engine_load.py")
                    cmd = [sys.executable, bench, "--rates", str(rate), "--json", str(out), *flags]
                    print(f"--- {label} at {rate} calls/s", flush=True)
                    subprocess.run(cmd, cwd=tree, check=True)
                    rows[(label, rate)] = json.loads(out.read_text())[0]
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(other)],
                check=False, capture_output=True,
            )  # fmt: skip
    print(f"\ncalls/s  {'this':>24}  {args.against:>24}  cpu ratio")
    print(f"{'':8} {'cpu_ms/call net_ms wrong':>25} {'cpu_ms/call net_ms wrong':>25}")
    for rate in args.rates:
        new, old = rows[("this", rate)], rows[(args.against, rate)]

        def ms(r: dict[str, Any], key: str) -> float:
            return 1000 * float(r[key]) / max(1, int(r["calls"]))

        ratio = ms(new, "cpu") / max(1e-9, ms(old, "cpu"))
        print(
            f"{rate:>7} {ms(new, 'cpu'):>12.2f} {ms(new, 'cpu_net'):>6.2f} {new['wrong']:>5} "
            f"{ms(old, 'cpu'):>12.2f} {ms(old, 'cpu_net'):>6.2f} {old['wrong']:>5} {ratio:>10.2f}"
        )
    return 0


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--engine-child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--profile", default=None, help="cProfile the engine into this file")
    p.add_argument("--rates", default="25,50,100,125,150")
    p.add_argument("--step", type=float, default=20.0, help="seconds of traffic per step")
    p.add_argument("--agents", type=int, default=500)
    p.add_argument("--talk", type=float, default=60.0)
    p.add_argument("--answer", type=float, default=1.0, help="seconds a phone rings")
    p.add_argument("--patience", type=float, default=30.0, help="callers' mean patience")
    p.add_argument("--level-wait", type=float, default=30.0, help="seconds to wait for level")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--idle", type=float, default=10.0, help="seconds the idle engine is measured")
    p.add_argument(
        "--redis", default=os.environ.get("ATENDE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    p.add_argument("--log-level", default="info")
    p.add_argument("--env", action="append", default=[], help="NAME=value for the engine")
    p.add_argument("--json", default=None, help="write the results here")
    p.add_argument("--against", default=None, help="also run this git revision's engine")
    args = p.parse_args()
    if not args.engine_child:
        args.rates = [int(r) for r in args.rates.split(",")]
    return args


if __name__ == "__main__":
    ARGS = parse()
    if ARGS.engine_child:
        sys.exit(engine_child(ARGS.profile))
    if ARGS.against:
        sys.exit(against(ARGS))
    sys.exit(asyncio.run(main(ARGS)))

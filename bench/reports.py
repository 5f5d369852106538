"""Interval report benchmark: how fast a day of queue log is replayed into interval rows.

Workload: a day routed by the real router (4 queues, 60 agents signed in, pauses, wrap-up,
abandons), N calls spread over the local day in America/Sao_Paulo. Timed: the replay into
15-minute and day rows (``interval_report``), the CSV and XLSX exports of the 15-minute queue
rows, and beside them the live statistics' rebuild of the same log (``stats_from_log``, what
``/api/acd/live`` does today).

Run: ``python bench/reports.py`` (``--calls N``; ``--quick`` for 5,000 calls).
"""

from __future__ import annotations

import argparse
import heapq
import random
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from acd.domain import Decision, Offer, QueueConfig, QueueLogRecord, Router, stats_from_log
from acd.reports import Interval, interval_bounds, interval_report
from acd.reports.export import queue_table, to_csv, to_xlsx

SITE = ZoneInfo("America/Sao_Paulo")
DAY = date(2026, 3, 10)
QUEUES = [QueueConfig(name=f"q{i}", skills={f"s{i}": 1}, wrap_up_seconds=10) for i in range(4)]


def routed_day(calls: int, seed: int = 7) -> list[QueueLogRecord]:
    """A day of calls through the real router; each answered call talks 60-300 s."""
    rng = random.Random(seed)
    router = Router(QUEUES)
    start = datetime(DAY.year, DAY.month, DAY.day, 0, 0, tzinfo=SITE).timestamp()
    for n in range(60):
        router.login(f"a{n}", {f"s{n % 4}": 3, f"s{(n + 1) % 4}": 1}, start)
    ends: list[tuple[float, str]] = []

    def answer(decisions: list[Decision], t: float) -> None:
        """Every offer is answered 2 s later; the call then lasts 60-300 s."""
        for d in decisions:
            if isinstance(d, Offer):
                router.agent_answered(d.call_id, t + 2)
                heapq.heappush(ends, (t + 2 + rng.uniform(60, 300), d.call_id))

    unpauses: list[tuple[float, str]] = []
    step = 86400 / calls
    t = start
    for n in range(calls):
        t += step
        while ends and ends[0][0] <= t:
            at, call = heapq.heappop(ends)
            answer(router.call_ended(call, at), at)
        while unpauses and unpauses[0][0] <= t:
            at, agent = heapq.heappop(unpauses)
            answer(router.unpause(agent, at), at)
        answer(router.tick(t), t)
        decisions = router.call_arrived(f"c{n}", f"q{n % 4}", t)
        if rng.random() < 0.05 and not any(isinstance(d, Offer) for d in decisions):
            answer(router.call_abandoned(f"c{n}", t + 1), t + 1)
            continue
        answer(decisions, t)
        if n % 500 == 0:
            agent = f"a{rng.randrange(60)}"
            if router.agent(agent).state.value in ("available", "wrap_up"):
                router.pause(agent, "cafe", t)
                heapq.heappush(unpauses, (t + 600, agent))
    while ends:
        at, call = heapq.heappop(ends)
        answer(router.call_ended(call, at), at)
    return router.drain_log()


def timed(label: str, work: int, fn: Callable[[], object], unit: str = "records") -> float:
    began = time.perf_counter()
    fn()
    took = time.perf_counter() - began
    print(f"  {label:<46} {took * 1000:9.1f} ms  {work / took:12,.0f} {unit}/s")
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    calls = 5_000 if args.quick else args.calls
    records = routed_day(calls)
    configs = {q.name: q for q in QUEUES}
    end = interval_bounds(DAY, DAY, SITE, Interval.DAY).starts[-1]
    print(f"interval reports: {calls:,} calls, {len(records):,} queue-log records, one day")
    quarters = interval_bounds(DAY, DAY, SITE, Interval.MIN15)
    report = interval_report(records, configs, quarters, end)
    timed("replay into 15-minute rows", len(records),
          lambda: interval_report(records, configs, quarters, end))  # fmt: skip
    day = interval_bounds(DAY, DAY, SITE, Interval.DAY)
    timed("replay into day rows", len(records),
          lambda: interval_report(records, configs, day, end))  # fmt: skip
    table = queue_table(report.queues)
    rows = len(table.rows)
    timed(f"CSV of {rows} queue rows", rows, lambda: to_csv(table), "rows")
    timed(f"XLSX of {rows} queue rows", rows, lambda: to_xlsx(table), "rows")
    print("beside it:")
    timed("stats_from_log (the live statistics' rebuild)", len(records),
          lambda: stats_from_log(records, configs, end))  # fmt: skip
    offered = sum(r.offered for r in report.queues)
    print(f"  check: {offered:,} offered in the 15-minute rows")


if __name__ == "__main__":
    main()

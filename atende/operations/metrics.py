"""Prometheus metrics, computed when scraped from what the engine already exposes.

Gauges come from ``InboundAcd.live_view()`` (callers waiting, agents by state, the day's calls
per queue), the Asterisk link (connected, logins, events received), the ERP outbox table
(outcomes not yet delivered, dead ones) and a sampler of the event loop's lag. HTTP latency is
a histogram filled by a middleware. Each engine has its own registry (no global state).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import structlog
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy.ext.asyncio import AsyncEngine

from erp_bridge.outbox.table import outbox
from telephony.ami.message import AmiMessage
from telephony.link import AsteriskLink

if TYPE_CHECKING:
    from acd.live import InboundAcd

log = structlog.get_logger("atende.metrics")

AGENT_STATES = ("available", "reserved", "ringing", "on_call", "wrap_up", "paused")
QUEUE_OUTCOMES = ("offered", "answered", "abandoned", "timed_out", "no_answers")
OUTBOX_STATES = ("pending", "rejected", "dead")


class MeteredAsteriskLink(AsteriskLink):
    """The Asterisk link, counting the AMI events each server hands over."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ami_event_counts: Counter[str] = Counter()

    def ami_events(self, server: str, events: list[AmiMessage], received_at: float) -> None:
        self.ami_event_counts[server] += len(events)
        super().ami_events(server, events, received_at)


class LoopLag:
    """Samples how late the event loop wakes a sleeper (the lag every callback suffers)."""

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self.last = 0.0
        self.peak = 0.0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="loop-lag")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def take_peak(self) -> float:
        """The worst lag since the previous call (then start again)."""
        peak, self.peak = self.peak, self.last
        return peak

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            began = loop.time()
            await asyncio.sleep(self.interval)
            self.last = max(0.0, loop.time() - began - self.interval)
            self.peak = max(self.peak, self.last)


class EngineMetrics:
    """The engine's metrics registry and its scrape."""

    def __init__(
        self,
        link: AsteriskLink,
        acd: Callable[[], InboundAcd | None],
        db: AsyncEngine,
        lag: LoopLag,
    ) -> None:
        self.link = link
        self.acd = acd
        self.db = db
        self.lag = lag
        self.registry = CollectorRegistry(auto_describe=False)
        self.http_latency = Histogram(
            "atende_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )

    async def exposition(self) -> bytes:
        """The text format Prometheus reads (gauges computed now)."""
        families = [*self._acd(), *self._asterisk(), *(await self._outbox()), *self._loop()]
        return generate_latest(_Scrape(self.registry, families))

    def _acd(self) -> list[Metric]:
        acd = self.acd()
        waiting = GaugeMetricFamily("atende_calls_waiting", "Callers waiting", labels=["queue"])
        longest = GaugeMetricFamily(
            "atende_queue_longest_wait_seconds", "Longest wait now", labels=["queue"]
        )
        today = GaugeMetricFamily(
            "atende_queue_calls_today",
            "Calls of the day so far by outcome (offered = entered the queue)",
            labels=["queue", "outcome"],
        )
        agents = GaugeMetricFamily("atende_agents", "Agents signed in, by state", labels=["state"])
        overload = GaugeMetricFamily(
            "atende_acd_overload", "1 while the ACD declares an overload (new callers kept)"
        )
        kept = CounterMetricFamily(
            "atende_acd_overload_kept_callers",
            "Callers kept on the dialplan's hold by an overload (queued once level)",
        )
        backlog = GaugeMetricFamily(
            "atende_acd_backlog_seconds", "How long the oldest record not handled by the ACD waited"
        )
        if acd is None:
            return [waiting, longest, today, agents]
        overload.add_metric([], 1 if acd.overload.active else 0)
        kept.add_metric([], acd.overload.kept_total)
        backlog.add_metric([], acd.backlog_seconds())
        view = acd.live_view()
        for q in view["queues"]:
            waiting.add_metric([q["queue"]], q["waiting"])
            longest.add_metric([q["queue"]], q["longest_wait"])
            for outcome in QUEUE_OUTCOMES:
                today.add_metric([q["queue"], outcome], q.get(outcome) or 0)
        states = Counter(a["state"] for a in view["agents"])
        for state in sorted(set(AGENT_STATES) | set(states)):
            agents.add_metric([state], states[state])
        return [waiting, longest, today, agents, overload, kept, backlog]

    def _asterisk(self) -> list[Metric]:
        connected = GaugeMetricFamily(
            "atende_ami_connected", "1 while the AMI link is logged in", labels=["server"]
        )
        reconnects = CounterMetricFamily(
            "atende_ami_reconnects", "AMI logins after the first", labels=["server"]
        )
        events = CounterMetricFamily(
            "atende_ami_events", "AMI events received (rate() gives events/s)", labels=["server"]
        )
        counts = getattr(self.link, "ami_event_counts", Counter())
        for s in self.link.status():
            connected.add_metric([s["server"]], 1 if s["connected"] else 0)
            reconnects.add_metric([s["server"]], max(0, s["logins"] - 1))
            events.add_metric([s["server"]], counts[s["server"]])
        dropped = CounterMetricFamily(
            "atende_ami_dropped_events", "AMI events dropped (queue full; a resync followed)"
        )
        dropped.add_metric([], self.link.dropped_events)
        return [connected, reconnects, events, dropped]

    async def _outbox(self) -> list[Metric]:
        query = (
            sa.select(outbox.c.status, sa.func.count())
            .where(outbox.c.status.in_(OUTBOX_STATES))
            .group_by(outbox.c.status)
        )
        try:
            async with asyncio.timeout(2.0), self.db.connect() as conn:
                counts = {status: n for status, n in (await conn.execute(query)).all()}
        except Exception as exc:  # the scrape still answers; readiness reports the database
            log.warning("metrics_outbox_unreadable", error=type(exc).__name__)
            return []
        family = GaugeMetricFamily(
            "atende_outbox_outcomes",
            "ERP outcomes by status: pending = outbox depth, dead = dead letters",
            labels=["status"],
        )
        for status in OUTBOX_STATES:
            family.add_metric([status], counts.get(status, 0))
        return [family]

    def _loop(self) -> list[Metric]:
        last = GaugeMetricFamily(
            "atende_event_loop_lag_seconds", "How late the event loop woke its last sampler"
        )
        last.add_metric([], self.lag.last)
        peak = GaugeMetricFamily(
            "atende_event_loop_lag_max_seconds", "Worst event-loop lag since the previous scrape"
        )
        peak.add_metric([], self.lag.take_peak())
        return [last, peak]


class _Scrape:
    """The registry's metrics followed by the ones computed for this scrape."""

    def __init__(self, registry: CollectorRegistry, extra: list[Metric]) -> None:
        self.registry = registry
        self.extra = extra

    def collect(self) -> Iterator[Metric]:
        yield from self.registry.collect()
        yield from self.extra

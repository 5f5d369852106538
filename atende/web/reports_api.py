"""``GET /api/reports/queues`` and ``/api/reports/agents``: interval reports as JSON, CSV, XLSX.

Query: ``from``/``to`` (local dates ``YYYY-MM-DD``, both included; ``from`` defaults to today
in the site's time zone, ``to`` to ``from``), ``interval`` (``15``, ``30``, ``60`` or ``day``;
default ``30``), ``format`` (``json``, ``csv``, ``xlsx``; default ``json``), ``lang`` (XLSX
headers: ``pt-BR`` or ``en``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from acd.live.sql import AcdConfigStore
from acd.reports import Interval, IntervalReport
from acd.reports.export import Table, agent_table, queue_table, to_csv, to_xlsx
from acd.reports.store import build_report
from atende.auth import Role
from atende.web.errors import ApiError
from atende.web.security import allow

MAX_DAYS = {Interval.MIN15: 31, Interval.MIN30: 31, Interval.MIN60: 62, Interval.DAY: 366}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class ReportSource:
    """Where reports come from: the database, the queues configured, the site's zone, a clock."""

    db: AsyncEngine
    config: AcdConfigStore
    zone: ZoneInfo
    clock: Callable[[], float] = time.time


REPORT_SOURCE: web.AppKey[ReportSource] = web.AppKey("report_source", ReportSource)


class ReportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    first: date | None = Field(default=None, alias="from")
    last: date | None = Field(default=None, alias="to")
    interval: Interval = Interval.MIN30
    format: Literal["json", "csv", "xlsx"] = "json"
    lang: Literal["pt-BR", "en"] = "pt-BR"


def parse_query(request: web.Request, today: date) -> tuple[ReportQuery, date, date]:
    """The query, with the range's days filled in; 422 ``invalid_request`` naming bad fields."""
    try:
        query = ReportQuery.model_validate(dict(request.query))
    except ValidationError as exc:
        fields = [
            {"field": ".".join(str(p) for p in e["loc"]) or "query", "problem": e["msg"]}
            for e in exc.errors()
        ]
        raise ApiError(422, "invalid_request", "bad report query", fields=fields) from None
    first = query.first or query.last or today
    last = query.last or first
    if last < first:
        raise ApiError(
            422,
            "invalid_request",
            "the range ends before it starts",
            fields=[{"field": "to", "problem": f"{last} is before {first}"}],
        )
    days = (last - first).days + 1
    limit = MAX_DAYS[query.interval]
    if days > limit:
        raise ApiError(
            422,
            "invalid_request",
            f"at most {limit} days at interval {query.interval.value}",
            fields=[{"field": "to", "problem": f"the range has {days} days"}],
        )
    return query, first, last


async def _report(request: web.Request) -> tuple[ReportQuery, date, date, IntervalReport]:
    source = request.app[REPORT_SOURCE]
    now = source.clock()
    today = datetime.fromtimestamp(now, source.zone).date()
    query, first, last = parse_query(request, today)
    queues = await source.config.queues()
    report = await build_report(source.db, queues, first, last, source.zone, query.interval, now)
    return query, first, last, report


async def _answer(
    query: ReportQuery, first: date, last: date, zone: ZoneInfo, table: Table
) -> web.Response:
    if query.format == "json":
        return web.json_response(
            {
                "from": first.isoformat(),
                "to": last.isoformat(),
                "interval": query.interval.value,
                "time_zone": zone.key,
                "rows": table.records(),
            }
        )
    name = f"{table.kind}-{first.isoformat()}-{last.isoformat()}-{query.interval.value}"
    if query.format == "csv":
        return web.Response(
            text=to_csv(table),
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    body = await asyncio.to_thread(to_xlsx, table, query.lang)
    return web.Response(
        body=body,
        content_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )


@allow(Role.SUPERVISOR)
async def queues_report(request: web.Request) -> web.Response:
    """GET /api/reports/queues: one row per queue and interval."""
    query, first, last, report = await _report(request)
    zone = request.app[REPORT_SOURCE].zone
    return await _answer(query, first, last, zone, queue_table(report.queues))


@allow(Role.SUPERVISOR)
async def agents_report(request: web.Request) -> web.Response:
    """GET /api/reports/agents: one row per agent and interval he did anything in."""
    query, first, last, report = await _report(request)
    zone = request.app[REPORT_SOURCE].zone
    return await _answer(query, first, last, zone, agent_table(report.agents))


def add_report_routes(app: web.Application, source: ReportSource) -> None:
    """Register the report endpoints on ``app``."""
    app[REPORT_SOURCE] = source
    app.router.add_get("/api/reports/queues", queues_report)
    app.router.add_get("/api/reports/agents", agents_report)

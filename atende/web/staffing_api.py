"""``POST /api/staffing``: agents needed per interval from a call forecast (Erlang C).

Body: ``{"intervals": [{"start": "08:00", "calls": 100, "aht": 180}], "interval_minutes": 30,
"sl_target": 0.8, "sl_seconds": 20, "shrinkage": 0.3, "max_occupancy": 1.0}``
(``interval_minutes``, ``shrinkage`` and ``max_occupancy`` optional).
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from acd.reports.staffing import Forecast, staffing_plan
from atende.auth import Role
from atende.web.errors import ApiError
from atende.web.security import allow

MAX_INTERVALS = 7 * 96  # a week of quarters


class IntervalForecast(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: str = Field(min_length=1, max_length=32)
    calls: float = Field(ge=0, le=100_000)
    aht: float = Field(gt=0, le=24 * 3600)


class StaffingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    intervals: list[IntervalForecast] = Field(min_length=1, max_length=MAX_INTERVALS)
    interval_minutes: Literal[15, 30, 60] = 30
    sl_target: float = Field(gt=0, lt=1)
    sl_seconds: float = Field(gt=0, le=3600)
    shrinkage: float = Field(default=0.0, ge=0, lt=1)
    max_occupancy: float = Field(default=1.0, gt=0, le=1)


@allow(Role.SUPERVISOR)
async def staffing(request: web.Request) -> web.Response:
    """POST /api/staffing -> {"intervals": [{start, agents, scheduled, ...}], "peak": n}."""
    try:
        body = await request.json()
    except ValueError:
        raise ApiError(400, "invalid_json", "request body is not JSON") from None
    try:
        plan = StaffingRequest.model_validate(body)
    except ValidationError as exc:
        fields = [
            {"field": ".".join(str(p) for p in e["loc"]) or "body", "problem": e["msg"]}
            for e in exc.errors()
        ]
        raise ApiError(422, "invalid_request", "bad staffing request", fields=fields) from None
    forecast = [Forecast(i.start, i.calls, i.aht) for i in plan.intervals]
    try:
        rows = await asyncio.to_thread(
            staffing_plan,
            forecast,
            plan.interval_minutes * 60,
            plan.sl_target,
            plan.sl_seconds,
            plan.shrinkage,
            plan.max_occupancy,
        )
    except ValueError as exc:
        raise ApiError(
            422, "invalid_request", str(exc), fields=[{"field": "intervals", "problem": str(exc)}]
        ) from None
    out = [asdict(r) for r in rows]
    for row in out:
        for key in ("traffic", "service_level", "occupancy", "probability_wait", "asa"):
            row[key] = round(row[key], 4)
    return web.json_response(
        {"intervals": out, "peak": max(r.scheduled for r in rows), "shrinkage": plan.shrinkage}
    )


def add_staffing_routes(app: web.Application) -> None:
    """Register ``POST /api/staffing``."""
    app.router.add_post("/api/staffing", staffing)

"""``/api/reports/*`` and ``/api/staffing`` over real HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

import pytest
from openpyxl import load_workbook

from tests.reports.conftest import Server, report_server


@pytest.fixture
async def server(database_url: str) -> AsyncIterator[Server]:
    """The report server on SQLite and PostgreSQL."""
    async with report_server(database_url) as running:
        yield running


async def test_queue_report_as_json_csv_and_xlsx(server: Server) -> None:
    """The same 21:00 hour of vendas in the three formats, read back by a client."""
    resp = await server.get("/api/reports/queues?from=2026-03-10&to=2026-03-10&interval=60")
    assert resp.status == 200
    body = await resp.json()
    assert (body["time_zone"], body["interval"], len(body["rows"])) == (
        "America/Sao_Paulo",
        "60",
        48,
    )
    row = next(
        r for r in body["rows"] if r["queue"] == "vendas" and "T21:00" in r["interval_start"]
    )
    assert (row["offered"], row["answered"], row["refused"], row["longest_wait"]) == (
        3,
        1,
        1,
        180.0,
    )

    resp = await server.get("/api/reports/queues?from=2026-03-10&interval=60&format=csv")
    assert resp.status == 200 and resp.content_type == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    lines = list(csv.DictReader(io.StringIO(await resp.text())))
    line = next(x for x in lines if x["queue"] == "vendas" and "T21:00" in x["interval_start"])
    assert (line["offered"], line["answered"], line["refused"]) == ("3", "1", "1")

    resp = await server.get("/api/reports/queues?interval=60&format=xlsx&lang=en")
    assert resp.status == 200  # no dates: today in the site's zone (the clock says 10 March)
    book = load_workbook(io.BytesIO(await resp.read()))
    rows = list(book["Queues"].iter_rows(values_only=True))
    sheet = next(r for r in rows[1:] if r[2] == "vendas" and r[0].hour == 21)
    assert sheet[3:6] == (3, 1, 0)  # offered, answered, answered in target


async def test_agent_report_with_pause_reasons(server: Server) -> None:
    """Agents per quarter: 2001's lunch pause of 600 s at 21:00; 2002 signed out at 21:20."""
    resp = await server.get("/api/reports/agents?from=2026-03-10&interval=15")
    rows = (await resp.json())["rows"]
    lunch = next(r for r in rows if r["agent"] == "2001" and "T21:00" in r["interval_start"])
    assert (lunch["pause:almoco"], lunch["calls"], lunch["occupancy"]) == (600.0, 1, 0.2333)
    assert not [r for r in rows if r["agent"] == "2002" and "T21:30" in r["interval_start"]]


async def test_reports_are_for_supervisors_and_refuse_bad_queries(server: Server) -> None:
    """An agent is refused, no token is unauthenticated; bad interval, reversed or too long a
    range answer 422 invalid_request naming the field."""
    assert (await server.get("/api/reports/queues", role="agent")).status == 403
    assert (await server.get("/api/reports/agents", role=None)).status == 401
    assert (await server.get("/api/reports/queues", role="admin")).status == 200
    for query, field in [
        ("interval=20", "interval"),
        ("from=2026-03-10&to=2026-03-09", "to"),
        ("from=2026-01-01&to=2026-03-10&interval=15", "to"),
        ("from=10/03/2026", "from"),
        ("format=pdf", "format"),
    ]:
        resp = await server.get(f"/api/reports/queues?{query}")
        assert resp.status == 422, query
        error = (await resp.json())["error"]
        assert error["code"] == "invalid_request"
        assert field in [f["field"] for f in error.get("fields") or error["details"]["fields"]]


async def test_staffing_matches_the_erlang_c_reference(server: Server) -> None:
    """100 calls in 30 min, AHT 180 s, 80% in 20 s: 14 agents (SL 0.888, occupancy 0.714,
    P(wait) 0.174, ASA 7.84 s) and 20 scheduled after 30% shrinkage; a quiet interval needs
    nobody; a busier one more agents."""
    status, body = await server.post(
        "/api/staffing",
        {
            "intervals": [
                {"start": "08:00", "calls": 100, "aht": 180},
                {"start": "08:30", "calls": 0, "aht": 180},
                {"start": "09:00", "calls": 200, "aht": 180},
            ],
            "sl_target": 0.8,
            "sl_seconds": 20,
            "shrinkage": 0.3,
        },
    )
    assert status == 200
    first, quiet, busy = body["intervals"]
    assert (first["agents"], first["scheduled"]) == (14, 20)
    assert first["service_level"] == pytest.approx(0.888, abs=0.001)
    assert first["occupancy"] == pytest.approx(0.714, abs=0.001)
    assert first["probability_wait"] == pytest.approx(0.174, abs=0.001)
    assert first["asa"] == pytest.approx(7.84, abs=0.01)
    assert (quiet["agents"], quiet["scheduled"]) == (0, 0)
    assert busy["agents"] > 14 and busy["service_level"] >= 0.8
    assert body["peak"] == busy["scheduled"]


async def test_staffing_refuses_bad_forecasts(server: Server) -> None:
    """Impossible targets and absurd traffic are 422 naming the field; agents are refused."""
    good = {"intervals": [{"start": "08:00", "calls": 10, "aht": 180}], "sl_target": 0.8,
            "sl_seconds": 20}  # fmt: skip
    status, body = await server.post("/api/staffing", {**good, "sl_target": 1.5})
    assert status == 422 and "sl_target" in str(body["error"])
    status, body = await server.post("/api/staffing", {**good, "intervals": []})
    assert status == 422 and "intervals" in str(body["error"])
    huge = {**good, "intervals": [{"start": "08:00", "calls": 99_000, "aht": 80_000}]}
    status, body = await server.post("/api/staffing", huge)
    assert status == 422 and "Erlangs" in body["error"]["message"]
    status, _ = await server.post("/api/staffing", good, role="agent")
    assert status == 403

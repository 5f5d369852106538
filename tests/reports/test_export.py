"""CSV and XLSX exports of the evening's interval report, opened again and read back."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from acd.reports import Interval, IntervalReport, interval_bounds, interval_report
from acd.reports.export import agent_table, queue_table, to_csv, to_xlsx
from tests.reports.evening import DAY, QUEUES, SITE, evening, local


def report(interval: Interval = Interval.MIN15) -> IntervalReport:
    bounds = interval_bounds(DAY, DAY, SITE, interval)
    return interval_report(evening(), QUEUES, bounds, now=local("23:30").timestamp())


def test_queue_csv_has_a_line_per_queue_and_interval_with_the_figures() -> None:
    """The CSV reads back with the csv module: 2 queues x 96 quarters, the 20:45 vendas line
    with local times (UTC-3 offset) and the hand-computed figures; empty cells for no calls."""
    text = to_csv(queue_table(report().queues))
    lines = list(csv.DictReader(io.StringIO(text)))
    assert len(lines) == 192
    line = next(x for x in lines if x["queue"] == "vendas" and "T20:45" in x["interval_start"])
    assert line["interval_start"] == "2026-03-10T20:45:00-03:00"
    assert line["interval_end"] == "2026-03-10T21:00:00-03:00"
    assert (line["offered"], line["answered"], line["abandoned"]) == ("3", "2", "1")
    assert (line["service_level"], line["asa"], line["aht"]) == ("0.3333", "20.0", "310.0")
    quiet = next(x for x in lines if x["queue"] == "suporte" and "T08:00" in x["interval_start"])
    assert (quiet["offered"], quiet["service_level"], quiet["asa"]) == ("0", "", "")


def test_agent_csv_has_a_column_per_pause_reason() -> None:
    """2001's 21:00 quarter: 600 s in the 'almoco' column, occupancy 70 / 300."""
    lines = list(csv.DictReader(io.StringIO(to_csv(agent_table(report().agents)))))
    line = next(x for x in lines if x["agent"] == "2001" and "T21:00" in x["interval_start"])
    assert line["pause:almoco"] == "600.0"
    assert line["paused_time"] == "600.0"
    assert line["occupancy"] == "0.2333"
    other = next(x for x in lines if x["agent"] == "2002" and "T21:00" in x["interval_start"])
    assert other["pause:almoco"] == "0.0"


def test_xlsx_opens_with_portuguese_headers_local_times_and_numbers() -> None:
    """The workbook opens in openpyxl: one sheet 'Filas', headers in pt-BR, the 21:00 vendas
    row with a local (not UTC) start time and numbers stored as numbers."""
    book = load_workbook(io.BytesIO(to_xlsx(queue_table(report(Interval.MIN60).queues))))
    assert book.sheetnames == ["Filas"]
    rows = list(book["Filas"].iter_rows(values_only=True))
    header = list(rows[0])
    assert header[:4] == ["Início", "Fim", "Fila", "Oferecidas"]
    line = next(r for r in rows[1:] if r[2] == "vendas" and r[0].hour == 21)
    row = dict(zip(header, line, strict=True))
    assert row["Início"].strftime("%Y-%m-%d %H:%M") == "2026-03-10 21:00"
    assert (row["Oferecidas"], row["Atendidas"], row["Recusadas"]) == (3, 1, 1)
    assert row["Maior espera (s)"] == 180.0
    assert row["Nível de serviço"] == 0.0


def test_xlsx_in_english_for_agents() -> None:
    """lang=en: sheet 'Agents', English headers, the pause reason as its own column."""
    book = load_workbook(io.BytesIO(to_xlsx(agent_table(report().agents), "en")))
    rows = list(book["Agents"].iter_rows(values_only=True))
    header = list(rows[0])
    assert "Pause: almoco" in header and header[2] == "Agent"
    line = next(r for r in rows[1:] if r[2] == "2001" and r[0].hour == 21)
    row = dict(zip(header, line, strict=True))
    assert row["Pause: almoco"] == 600.0
    assert row["Talk (s)"] == 60.0

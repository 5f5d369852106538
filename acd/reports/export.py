"""Interval rows as tables, and those tables as JSON-ready dicts, CSV text and XLSX bytes.

CSV is for scripts: comma-separated, UTF-8, keys as headers, ISO times with the site's UTC offset,
seconds and ratios with a dot. XLSX is for people: headers in the reader's language (pt-BR by
default), real numbers and local date-times, one sheet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from acd.reports.intervals import AgentRow, QueueRow, pause_reasons

Value = str | int | float | datetime | None

QUEUE_KEYS = [
    "interval_start", "interval_end", "queue", "offered", "answered", "answered_in_target",
    "abandoned", "short_abandoned", "timed_out", "exited_empty", "refused", "transfers",
    "callbacks", "service_level", "asa", "aht", "longest_wait", "completed", "talk_time",
    "wrap_time",
]  # fmt: skip
AGENT_KEYS = [
    "interval_start", "interval_end", "agent", "calls", "no_answers", "logged_in_time",
    "talk_time", "wrap_time", "paused_time", "occupancy",
]  # fmt: skip
PAUSE = "pause:"  # prefix of the per-reason pause columns

LABELS = {
    "pt-BR": {
        "interval_start": "Início", "interval_end": "Fim", "queue": "Fila", "agent": "Agente",
        "offered": "Oferecidas", "answered": "Atendidas", "answered_in_target": "Atendidas no NS",
        "abandoned": "Abandonadas", "short_abandoned": "Abandonos curtos",
        "timed_out": "Tempo esgotado", "exited_empty": "Sem agentes", "refused": "Recusadas",
        "transfers": "Transferidas", "callbacks": "Retornos", "service_level": "Nível de serviço",
        "asa": "TME (s)", "aht": "TMA (s)", "longest_wait": "Maior espera (s)",
        "completed": "Encerradas",
        "talk_time": "Conversação (s)", "wrap_time": "Pós-atendimento (s)",
        "calls": "Chamadas", "no_answers": "Não atendidas", "logged_in_time": "Logado (s)",
        "paused_time": "Pausa (s)", "occupancy": "Ocupação", PAUSE: "Pausa: ",
        "queues": "Filas", "agents": "Agentes",
    },
    "en": {
        "interval_start": "Start", "interval_end": "End", "queue": "Queue", "agent": "Agent",
        "offered": "Offered", "answered": "Answered", "answered_in_target": "Answered in SL",
        "abandoned": "Abandoned", "short_abandoned": "Short abandons", "timed_out": "Timed out",
        "exited_empty": "No agents", "refused": "Refused", "transfers": "Transfers",
        "callbacks": "Callbacks", "service_level": "Service level", "asa": "ASA (s)",
        "aht": "AHT (s)", "longest_wait": "Longest wait (s)", "completed": "Completed",
        "talk_time": "Talk (s)",
        "wrap_time": "Wrap-up (s)", "calls": "Calls", "no_answers": "Ring-no-answers",
        "logged_in_time": "Logged in (s)", "paused_time": "Paused (s)",
        "occupancy": "Occupancy", PAUSE: "Pause: ", "queues": "Queues", "agents": "Agents",
    },
}  # fmt: skip
LANGUAGES = tuple(LABELS)


@dataclass(frozen=True, slots=True)
class Table:
    kind: str  # "queues" or "agents"
    keys: list[str]
    rows: list[list[Value]]

    def records(self) -> list[dict[str, Value]]:
        """Rows as dicts (times as ISO strings), for JSON."""
        return [
            {
                k: v.isoformat() if isinstance(v, datetime) else v
                for k, v in zip(self.keys, row, strict=True)
            }
            for row in self.rows
        ]


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _secs(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def queue_table(rows: Sequence[QueueRow]) -> Table:
    """One line per queue and interval."""
    out: list[list[Value]] = []
    for r in rows:
        out.append(
            [
                r.start, r.end, r.queue, r.offered, r.answered, r.answered_in_target,
                r.abandoned, r.short_abandoned, r.timed_out, r.exited_empty, r.refused,
                r.transfers, r.callbacks, _ratio(r.service_level), _secs(r.asa), _secs(r.aht),
                _secs(r.longest_wait), r.completed, _secs(r.talk_time), _secs(r.wrap_time),
            ]
        )  # fmt: skip
    return Table("queues", list(QUEUE_KEYS), out)


def agent_table(rows: Sequence[AgentRow]) -> Table:
    """One line per agent and interval he did anything in; a column per pause reason."""
    reasons = pause_reasons(rows)
    out: list[list[Value]] = []
    for r in rows:
        line: list[Value] = [
            r.start, r.end, r.agent, r.calls, r.no_answers, _secs(r.logged_in_time),
            _secs(r.talk_time), _secs(r.wrap_time), _secs(r.paused_time), _ratio(r.occupancy),
        ]  # fmt: skip
        line.extend(_secs(r.pause_time.get(reason, 0.0)) for reason in reasons)
        out.append(line)
    return Table("agents", AGENT_KEYS + [PAUSE + reason for reason in reasons], out)


def to_csv(table: Table) -> str:
    """RFC 4180 CSV with the keys as the header; empty cells where a ratio has no calls."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.keys)
    for row in table.rows:
        writer.writerow(
            ["" if v is None else v.isoformat() if isinstance(v, datetime) else v for v in row]
        )
    return buffer.getvalue()


def label(key: str, lang: str) -> str:
    """The column's header in ``lang`` (pt-BR or en)."""
    labels = LABELS[lang]
    if key.startswith(PAUSE):
        return labels[PAUSE] + key[len(PAUSE) :]
    return labels[key]


def to_xlsx(table: Table, lang: str = "pt-BR") -> bytes:
    """A workbook of one sheet: headers in ``lang``, local date-times, numbers as numbers."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(LABELS[lang][table.kind])
    sheet.append([label(k, lang) for k in table.keys])
    for row in table.rows:
        cells: list[Any] = []
        for value in row:
            if isinstance(value, datetime):
                cell = WriteOnlyCell(sheet, value.replace(tzinfo=None))
                cell.number_format = "yyyy-mm-dd hh:mm"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()

"""Loading a site's master data from rows (API JSON) or files (CSV, XLSX), streaming, in
batches: the good rows load, the report lists every other row by its line number and field.
Loading the same file again changes nothing (records are keyed)."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import itertools
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol
from xml.etree import ElementTree

from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from pydantic import ValidationError

from erp_bridge.app.master_data import KINDS
from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.master import RowOutcome, Touched

BATCH = 1000
FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class RowProblem:
    """Why one row did not load: its line in the file (or index + 1 in a JSON list), the
    field and the problem."""

    line: int
    field: str
    problem: str


@dataclass(frozen=True)
class ImportReport:
    """How many rows were read, added, changed, already so; and the refused ones."""

    kind: str
    rows: int
    added: int
    changed: int
    unchanged: int
    refused: tuple[RowProblem, ...]


class MasterLoader(Protocol):
    """What loads a batch (the embedded ERP)."""

    async def load_master(
        self, records: list[tuple[int, Any]], *, touched: Touched | None = None
    ) -> list[RowOutcome]: ...


def _header(cells: Iterable[Any]) -> list[str]:
    return [str(c).strip().lower().replace(" ", "_") for c in cells]


def csv_rows(stream: IO[bytes]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Rows of a CSV file (UTF-8, comma or semicolon), numbered by their line; the first
    line names the columns."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    first = text.readline()
    dialect = ";" if first.count(";") > first.count(",") else ","
    header = _header(next(csv.reader([first], delimiter=dialect), []))
    reader = csv.reader(text, delimiter=dialect)
    for cells in reader:
        line = reader.line_num + 1
        if not any(c.strip() for c in cells):
            continue
        yield line, _row(header, cells)


def xlsx_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Rows of the first sheet of an XLSX file, numbered as the sheet numbers them; the first
    row with a value names the columns. Streamed (openpyxl read-only): one row in memory at a
    time, whatever the sheet's size."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, ElementTree.ParseError) as err:
        raise ErpError("file_unreadable", f"the file is not a workbook: {err}") from None
    try:
        sheet = book.worksheets[0]
        if not isinstance(sheet, ReadOnlyWorksheet):
            raise ErpError("file_unreadable", "the first sheet is not a worksheet")
        sheet.reset_dimensions()  # the size a workbook declares may be wrong: read every cell
        header: list[str] | None = None
        for line, values in enumerate(sheet.iter_rows(values_only=True), 1):
            cells = _trimmed(values)
            if not cells:
                continue
            if header is None:
                header = _header(cells)
                continue
            yield line, _row(header, cells)
    except (zipfile.BadZipFile, KeyError, ValueError, ElementTree.ParseError) as err:
        raise ErpError("file_unreadable", f"the sheet cannot be read: {err}") from None
    finally:
        book.close()


def _trimmed(values: Iterable[Any]) -> list[Any]:
    """A sheet row's cells without the empty ones at its end (None read as "")."""
    cells = ["" if v is None else v for v in values]
    while cells and cells[-1] == "":
        cells.pop()
    return cells


def _row(header: list[str], cells: list[Any]) -> dict[str, Any]:
    row = {name: cells[i] if i < len(cells) else "" for i, name in enumerate(header) if name}
    if len(cells) > len(header):
        row["__extra__"] = cells[len(header) :]
    return row


def file_rows(path: Path, fmt: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """The rows of a CSV or XLSX file (``format_unknown`` for anything else)."""
    if fmt == "csv":
        with path.open("rb") as stream:
            yield from csv_rows(stream)
    elif fmt == "xlsx":
        yield from xlsx_rows(path)
    else:
        raise ErpError("format_unknown", f"files are {' or '.join(FORMATS)}")


async def import_rows(
    loader: MasterLoader,
    kind: str,
    rows: Iterable[tuple[int, dict[str, Any]]],
    *,
    touched: Touched | None = None,
) -> ImportReport:
    """Check and load ``rows`` of ``kind`` in batches (``kind_unknown`` for a bad kind).
    Reading and checking the next batch (in a worker thread) overlaps writing this one."""
    spec = KINDS.get(kind)
    if spec is None:
        raise ErpError("kind_unknown", f"kinds are {', '.join(KINDS)}")
    counts = {"added": 0, "changed": 0, "unchanged": 0}
    refused: list[RowProblem] = []
    source = iter(rows)

    def next_batch() -> tuple[int, list[tuple[int, Any]]]:
        read = 0
        good: list[tuple[int, Any]] = []
        for line, raw in itertools.islice(source, BATCH):
            read += 1
            if "__extra__" in raw:
                refused.append(RowProblem(line, "", "more cells than columns"))
                continue
            try:
                good.append((line, spec.record(spec.row.model_validate(raw))))
            except ValidationError as exc:
                for err in exc.errors():
                    where = ".".join(str(p) for p in err["loc"])
                    refused.append(RowProblem(line, where, err["msg"]))
        return read, good

    def tally(outcomes: list[RowOutcome]) -> None:
        for outcome in outcomes:
            if outcome.outcome == "refused":
                refused.append(RowProblem(outcome.line, outcome.field, outcome.problem))
            else:
                counts[outcome.outcome] += 1

    total = 0
    writing: asyncio.Task[list[RowOutcome]] | None = None
    try:
        while True:
            read, good = await asyncio.to_thread(next_batch)
            if writing is not None:
                tally(await writing)
                writing = None
            total += read
            if not read:
                break
            if good:
                writing = asyncio.create_task(loader.load_master(good, touched=touched))
    finally:
        if writing is not None:  # reading failed: the batch being written still finishes
            with contextlib.suppress(Exception):
                await writing
    refused.sort(key=lambda p: p.line)
    return ImportReport(kind, total, **counts, refused=tuple(refused))

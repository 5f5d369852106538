"""Uploading lists into real SQLite and PostgreSQL: bad rows reported, good rows loaded,
nothing lost or doubled, do-not-call registers honoured, the report written."""

from __future__ import annotations

import csv
import gc
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from atende.db import make_engine
from campaigns.app.upload_list import (
    YOUNG_COLLECTION_THRESHOLD,
    UploadRequest,
    UploadResult,
    upload_list,
)
from campaigns.app.upload_report import write_report
from campaigns.domain.errors import CampaignError
from campaigns.files.source import file_sha256, open_rows
from campaigns.sql.store import SqlListStore
from campaigns.sql.tables import leads, phones

from .helpers import cpf, write_csv

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)

MESSY = [
    ["Nome", "Telefone", "Celular", "CPF", "Obs"],
    ["Ana", "(11) 98765-4321", "", cpf(1), "ok"],  # 2 loaded
    ["Bruno", "123", "", cpf(2), ""],  # 3 no valid phone
    ["Carla", "11911112222", "", "111.111.111-11", ""],  # 4 bad CPF
    ["Ana dup", "11922223333", "", cpf(1), ""],  # 5 duplicate key
    ["Davi", "11987654321", "21999998888", cpf(3), ""],  # 6 loaded, first phone taken
    ["=cmd|' /C calc'!A0", "11933334444", "", cpf(4), "+SUM(1)"],  # 7 loaded, neutralised
    ["Eva", "11944445555", "", cpf(5), "x" * 5000],  # 8 huge cell
    ["Fabio", "11955556666", "", cpf(6), ""],  # 9 on DNC
    ["Gil", "11966667777", "", cpf(7), "a", "extra"],  # 10 loaded, extra cell
]


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the migrated database."""
    eng = make_engine(database_url)
    yield eng
    await eng.dispose()


async def _upload(
    engine: AsyncEngine, path: Path, list_name: str = "l1", campaign: str | None = "c1",
    batch_rows: int = 3,
) -> UploadResult:  # fmt: skip
    request = UploadRequest(list_name, path.name, file_sha256(path), campaign)
    return await upload_list(
        SqlListStore(engine), open_rows(path), request, clock=lambda: NOW, batch_rows=batch_rows
    )


async def _leads(engine: AsyncEngine) -> dict[str, list[str]]:
    async with engine.connect() as conn:
        names = dict((await conn.execute(sa.select(leads.c.lead_key, leads.c.name))).all())
        rows = (await conn.execute(sa.select(phones.c.lead_key, phones.c.number))).all()
    out: dict[str, list[str]] = {names[k]: [] for k in names}
    for key, number in sorted(rows, key=lambda r: r[1]):
        out[names[key]].append(number)
    return out


async def test_messy_file_loads_good_rows_and_reports_the_rest(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    """Every kind of bad row is reported with line, field and reason; the others are loaded
    with their phones; the DNC phone is suppressed; the report CSV has every problem."""
    store = SqlListStore(engine)
    assert await store.add_do_not_call(["+5511955556666"], "procon-sp", NOW) == 1
    result = await _upload(engine, write_csv(tmp_path / "messy.csv", MESSY, ";", "cp1252"))
    up = result.upload
    assert (up.status, up.counts.rows_read, up.counts.leads_added) == ("done", 9, 4)
    assert up.counts.rows_rejected == 5
    assert await _leads(engine) == {
        "Ana": ["+5511987654321"],
        "Davi": ["+5521999998888"],
        "'=cmd|' /C calc'!A0": ["+5511933334444"],
        "Gil": ["+5511966667777"],
    }
    out = io.StringIO()
    assert await write_report(store, up.id, out) == up.counts.problems
    report = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["line"], r["field"], r["reason"], r["loaded"]) for r in report] == [
        ("3", "Telefone", "phone_invalid", "no"),
        ("3", "phone", "no_valid_phone", "no"),
        ("4", "tax_id", "tax_id_invalid", "no"),
        ("5", "tax_id", "duplicate", "no"),
        ("6", "phone", "duplicate_phone", "yes"),
        ("8", "Obs", "cell_too_large", "no"),
        ("9", "phone", "do_not_call", "no"),
        ("9", "phone", "no_phone_left", "no"),
        ("10", "(row)", "extra_cells", "yes"),
    ]
    assert dict(up.reasons)["do_not_call"] == 1


async def test_same_file_twice_adds_nothing(engine: AsyncEngine, tmp_path: Path) -> None:
    """The same bytes again: the earlier upload is returned; a re-saved file with one new row
    adds that row only (lead keys), and another list of the same campaign sees duplicates."""
    rows = [["Nome", "Telefone", "CPF"]] + [
        [f"L{i}", f"1198765{i:04d}", cpf(100 + i)] for i in range(10)
    ]
    first = await _upload(engine, write_csv(tmp_path / "a.csv", rows))
    again = await _upload(engine, write_csv(tmp_path / "a.csv", rows))
    assert (again.repeated, again.upload.id) == (True, first.upload.id)
    rows.append(["New", "11911119999", cpf(999)])
    grown = await _upload(engine, write_csv(tmp_path / "b.csv", rows, ","))
    assert (grown.upload.counts.leads_added, grown.upload.counts.rows_rejected) == (1, 10)
    other = await _upload(engine, write_csv(tmp_path / "a.csv", rows), list_name="l2")
    assert (other.repeated, other.upload.counts.leads_added) == (False, 0)
    separate = await _upload(
        engine, write_csv(tmp_path / "a.csv", rows), list_name="l3", campaign="c2"
    )
    assert separate.upload.counts.leads_added == 11
    async with engine.connect() as conn:
        total = (await conn.execute(sa.select(sa.func.count()).select_from(leads))).scalar()
    assert total == 22


async def test_xlsx_upload(engine: AsyncEngine, tmp_path: Path) -> None:
    """An XLSX list is loaded like a CSV, numeric phone cells included."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (["Nome", "Celular", "CNPJ"], ["ACME", 11987654321, "11.222.333/0001-81"],
                ["Bad", 5, ""]):  # fmt: skip
        sheet.append(row)
    book.save(tmp_path / "l.xlsx")
    result = await _upload(engine, tmp_path / "l.xlsx")
    assert (result.upload.counts.leads_added, result.upload.counts.rows_rejected) == (1, 1)
    assert await _leads(engine) == {"ACME": ["+5511987654321"]}


async def test_file_level_faults_store_nothing(engine: AsyncEngine, tmp_path: Path) -> None:
    """A file with no phone column is refused before anything is stored."""
    path = write_csv(tmp_path / "x.csv", [["Nome", "Cidade"], ["Ana", "Recife"]])
    with pytest.raises(CampaignError) as err:
        await _upload(engine, path)
    assert err.value.code == "no_phone_column"
    assert await _leads(engine) == {}


async def test_file_broken_midway_keeps_what_was_read(engine: AsyncEngine, tmp_path: Path) -> None:
    """A UTF-16 export with a broken character mid-file: the batches read before the fault are
    kept, the upload is marked failed with where it stopped, and the CLI-facing error is
    ``file_unreadable``; uploading the repaired file adds only the rest."""
    rows = [["Nome", "Telefone", "CPF"]] + [
        [f"L{i}", f"1197{i:07d}", cpf(5000 + i)] for i in range(6000)
    ]
    path = write_csv(tmp_path / "u16.csv", rows, "\t", "utf-16")
    good = path.read_bytes()
    middle = len(good) // 2 // 2 * 2
    path.write_bytes(good[:middle] + b"\x00\xdc" + good[middle:])  # a lone low surrogate
    collector = gc.get_threshold()
    with pytest.raises(CampaignError) as err:
        await _upload(engine, path, batch_rows=1000)
    assert err.value.code == "file_unreadable"
    assert gc.get_threshold() == collector  # the upload's collector setting is undone
    async with engine.connect() as conn:
        kept = (await conn.execute(sa.select(sa.func.count()).select_from(leads))).scalar()
        status = (
            await conn.execute(sa.text("SELECT status, rows_read FROM campaign_uploads"))
        ).one()
    assert status[0] == "failed" and 0 < kept < 6000 and status[1] == kept
    path.write_bytes(good)
    repaired = await _upload(engine, path, batch_rows=1000)
    assert repaired.upload.counts.leads_added == 6000 - kept
    assert repaired.upload.reasons == {"duplicate": kept}


async def test_collector_runs_less_while_a_list_loads(engine: AsyncEngine, tmp_path: Path) -> None:
    """While rows load, the garbage collector waits for 100,000 allocations between young
    collections; afterwards the process has its own setting back."""
    before = gc.get_threshold()
    seen: list[int] = []
    rows = [["Nome", "Telefone"]] + [[f"L{i}", f"1198765{i:04d}"] for i in range(7)]
    path = write_csv(tmp_path / "a.csv", rows)
    request = UploadRequest("l1", path.name, file_sha256(path), "c1")
    result = await upload_list(
        SqlListStore(engine), open_rows(path), request, clock=lambda: NOW, batch_rows=3,
        progress=lambda counts: seen.append(gc.get_threshold()[0]),
    )  # fmt: skip
    assert result.upload.counts.leads_added == 7
    assert seen == [max(YOUNG_COLLECTION_THRESHOLD, before[0])] * 3
    assert gc.get_threshold() == before

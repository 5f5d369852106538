"""Reading a site's master-data files: XLSX rows streamed from the sheet, numbered as the
spreadsheet numbers them (so the per-row report points at the right line), whatever empty
rows or formatted empty cells the sheet has."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.styles import Font

from erp_bridge.app.import_master import file_rows, import_rows
from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.master import RowOutcome, Touched


def test_xlsx_lines_are_the_sheets(tmp_path: Path) -> None:
    """The header may sit below an empty first row; an empty row is skipped without shifting
    the numbers; a formatted empty cell past the last column is not an extra cell; a value
    past the header's columns is."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A2"], sheet["B2"], sheet["C2"] = "Product", "Warehouse", "On hand"
    sheet["A3"], sheet["B3"], sheet["C3"] = "P001", "01", 5
    sheet["A5"], sheet["B5"], sheet["C5"] = "P002", "01", 7.5
    sheet["F5"].font = Font(bold=True)  # formatted, no value
    sheet["A6"], sheet["B6"], sheet["C6"], sheet["D6"] = "P003", "01", 1, "surplus"
    path = tmp_path / "stock.xlsx"
    book.save(path)

    rows = list(file_rows(path, "xlsx"))

    assert [line for line, _ in rows] == [3, 5, 6]
    assert rows[0][1] == {"product": "P001", "warehouse": "01", "on_hand": 5}
    assert rows[1][1] == {"product": "P002", "warehouse": "01", "on_hand": 7.5}
    assert rows[2][1]["__extra__"] == ["surplus"]


async def test_xlsx_import_reports_lines_of_the_sheet(tmp_path: Path) -> None:
    """Through the import: the refused rows are reported by their line in the sheet."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([])
    sheet.append(["product", "warehouse", "on_hand"])
    sheet.append(["P001", "01", 5])
    sheet.append([])
    sheet.append(["P002", "01", "many"])
    sheet.append(["P003", "01", 1, "surplus"])
    path = tmp_path / "stock.xlsx"
    book.save(path)

    class Loader:
        async def load_master(
            self, records: list[tuple[int, object]], *, touched: Touched | None = None
        ) -> list[RowOutcome]:
            return [RowOutcome(line, "added") for line, _ in records]

    report = await import_rows(Loader(), "stock", file_rows(path, "xlsx"))

    assert (report.rows, report.added) == (3, 1)
    assert [(p.line, p.field) for p in report.refused] == [(5, "on_hand"), (6, "")]


def test_xlsx_rows_are_streamed(tmp_path: Path) -> None:
    """The rows come out while the sheet is being read, not after reading it whole: in a
    workbook whose sheet is cut short near its end, the first rows are read and the cut is
    reported (``file_unreadable``) only when the reading reaches it."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["code", "store", "name", "tax_id", "risk", "credit_limit"])
    for n in range(3000):
        sheet.append([f"C{n:07d}", "01", f"Cliente {n}", "52998224725", "B", 1000 + n])
    whole = tmp_path / "whole.xlsx"
    book.save(whole)
    cut = tmp_path / "cut.xlsx"
    with zipfile.ZipFile(whole) as src, zipfile.ZipFile(cut, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) * 9 // 10]  # the last tenth of the sheet lost
            dst.writestr(item, data)

    rows = file_rows(cut, "xlsx")
    line, first = next(rows)
    assert (line, first["code"], first["credit_limit"]) == (2, "C0000000", 1000)
    with pytest.raises(ErpError) as err:
        for _ in rows:
            pass
    assert err.value.code == "file_unreadable"
    assert sum(1 for _ in file_rows(whole, "xlsx")) == 3000


def test_a_file_that_is_no_workbook_is_refused(tmp_path: Path) -> None:
    """Bytes that are not an XLSX file answer ``file_unreadable``."""
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"not a workbook")
    with pytest.raises(ErpError) as err:
        list(file_rows(path, "xlsx"))
    assert err.value.code == "file_unreadable"

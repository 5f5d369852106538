"""Spreadsheet workbooks (XLSX, XLS, ODS) through python-calamine: the first sheet, row by row.

calamine keeps the sheet's cells in its own compact (Rust) memory; Python objects are made one
row at a time as the rows are consumed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook

from campaigns.domain.errors import CampaignError
from campaigns.files.source import RowSource


def open_workbook_rows(path: Path) -> RowSource:
    """The first sheet's header and rows (line numbers as the spreadsheet shows them)."""
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
    except (CalamineError, OSError, ValueError) as err:
        raise CampaignError("file_not_csv", f"the workbook cannot be read: {err}") from err
    first_row = (sheet.start or (0, 0))[0] + 1
    iterator = sheet.iter_rows()
    header = next(iterator, None)
    if header is None or not any(str(c).strip() for c in header):
        raise CampaignError("file_empty", "the first sheet has no header row")

    def rows() -> Iterator[tuple[int, list[object]]]:
        for offset, cells in enumerate(iterator, start=1):
            if any(c not in ("", None) for c in cells):
                yield first_row + offset, list(cells)

    return RowSource([str(c).strip() for c in header], rows(), "xlsx")

"""Reading list files as spreadsheets produce them: encodings, delimiters, XLSX, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from campaigns.domain.errors import CampaignError
from campaigns.files.source import MAX_LINE_CHARS, OVERLONG, open_rows

from .helpers import write_csv

ROWS = [["Nome", "Telefone", "Cidade"], ["José", "(11) 98765-4321", "São Paulo"],
        ["Márcia", "21 99999-8888", "Niterói"]]  # fmt: skip


@pytest.mark.parametrize(
    ("encoding", "delimiter", "expected"),
    [
        ("utf-8", ";", "utf-8"),
        ("utf-8-sig", ",", "utf-8-sig"),
        ("cp1252", ";", "cp1252"),
        ("latin-1", "\t", "cp1252"),
        ("utf-16", "\t", "utf-16"),
        ("utf-8", "|", "utf-8"),
    ],
)
def test_csv_dialects(tmp_path: Path, encoding: str, delimiter: str, expected: str) -> None:
    """Each encoding and delimiter a spreadsheet writes reads back the same accented text."""
    path = write_csv(tmp_path / "l.csv", ROWS, delimiter, encoding)
    source = open_rows(path)
    assert (source.kind, source.encoding, source.delimiter) == ("csv", expected, delimiter)
    assert source.header == ROWS[0]
    assert list(source.rows) == [(2, ROWS[1]), (3, ROWS[2])]


def test_line_numbers_count_physical_lines(tmp_path: Path) -> None:
    """A quoted cell with a line break and blank lines keep the line numbers of the file."""
    path = tmp_path / "l.csv"
    path.write_text('Nome,Telefone\n"Ana\nMaria",11987654321\n\nBia,11911112222\n')
    assert list(open_rows(path).rows) == [
        (2, ["Ana\nMaria", "11987654321"]),
        (5, ["Bia", "11911112222"]),
    ]


def test_overlong_line_is_skipped_not_held(tmp_path: Path) -> None:
    """A 1 MB line becomes one marked row; the rows after it are read as usual."""
    path = tmp_path / "l.csv"
    path.write_text("Nome,Telefone\n" + "x" * (1 << 20) + ",1\nBia,11911112222\n")
    rows = list(open_rows(path).rows)
    assert rows[0][0] == 2 and str(rows[0][1][0]).startswith(OVERLONG)
    assert rows[1] == (3, ["Bia", "11911112222"])
    assert MAX_LINE_CHARS < (1 << 20)


def test_xlsx_rows_with_numbers_as_text(tmp_path: Path) -> None:
    """An XLSX (even named .csv) is read from its bytes; numeric phones lose the float."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Nome", "Telefone"])
    sheet.append(["José", 11987654321])
    sheet.append([None, None])
    sheet.append(["Bia", "21 99999-8888"])
    path = tmp_path / "lista.csv"
    book.save(path)
    source = open_rows(path)
    assert source.kind == "xlsx" and source.header == ["Nome", "Telefone"]
    rows = list(source.rows)
    assert [line for line, _ in rows] == [2, 4]
    assert rows[0][1][1] in (11987654321, 11987654321.0)


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "file_empty"),
        (b"\xef\xbb\xbf\r\n", "file_empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "file_not_csv"),
        (b"PK\x03\x04 not really a workbook", "file_not_csv"),
    ],
)
def test_not_a_list(tmp_path: Path, content: bytes, code: str) -> None:
    """An empty file, an image, a broken zip: refused as a whole with a clear code."""
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    with pytest.raises(CampaignError) as err:
        open_rows(path)
    assert err.value.code == code

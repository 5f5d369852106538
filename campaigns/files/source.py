"""Open an uploaded list file as a stream of rows, whatever a spreadsheet produced.

The kind is told by the bytes, not the name: XLSX/XLS/ODS (zip or OLE magic) go to
python-calamine; text goes to the CSV reader (UTF-8 with or without BOM, UTF-16 with BOM,
Latin-1/cp1252; delimiter sniffed among ``, ; TAB |``). Anything else is refused as a whole
(``file_not_csv``), as is an empty file (``file_empty``). Rows are yielded one at a time.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from campaigns.domain.errors import CampaignError

SAMPLE_BYTES = 64 * 1024
MAX_LINE_CHARS = 64 * 1024
"""A physical line longer than this is skipped (reported ``line_too_long``), never held whole."""
OVERLONG = "\ue000line_too_long"
DELIMITERS = ",;\t|"


def _cp1252_fallback(err: UnicodeError) -> tuple[str, int]:
    """Bytes that are not UTF-8 are read as cp1252 (Latin-1 for its five undefined bytes)."""
    assert isinstance(err, UnicodeDecodeError)
    byte = err.object[err.start : err.start + 1]
    try:
        return byte.decode("cp1252"), err.start + 1
    except UnicodeDecodeError:
        return byte.decode("latin-1"), err.start + 1


codecs.register_error("atende_cp1252", _cp1252_fallback)


@dataclass
class RowSource:
    """The header and an iterator of ``(line, cells)``; ``kind``, ``encoding``, ``delimiter``
    say what was detected."""

    header: list[str]
    rows: Iterator[tuple[int, list[object]]]
    kind: str
    encoding: str = ""
    delimiter: str = ""


def file_sha256(path: Path) -> str:
    """SHA-256 of the file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def open_rows(path: Path) -> RowSource:
    """Detect the file's kind and open it as rows (the file stays open until exhausted)."""
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if not sample.strip(b"\xef\xbb\xbf \r\n\t"):
        raise CampaignError("file_empty", "the file is empty")
    if sample.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        from campaigns.files.xlsx import open_workbook_rows

        return open_workbook_rows(path)
    encoding = _encoding(sample)
    text = sample.decode(encoding, "atende_cp1252")
    if "\x00" in text or sum(1 for c in text[:4096] if _binary(c)) > 8:
        raise CampaignError("file_not_csv", "the file is neither text (CSV) nor a spreadsheet")
    delimiter = sniff_delimiter(text)
    return _csv_rows(path, encoding, delimiter)


def _binary(char: str) -> bool:
    return ord(char) < 32 and char not in "\r\n\t\f"


def _encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(sample) - 3:  # not just a character cut by the sample's end
            return "cp1252"
    return "utf-8"


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the same number (> 1) of cells."""
    lines = text.splitlines()[:20] or [""]
    best, best_score = ",", -1.0
    for delimiter in DELIMITERS:
        counts = [len(r) for r in csv.reader(lines[:-1] or lines, delimiter=delimiter) if r]
        if not counts or counts[0] < 2:
            continue
        same = sum(1 for c in counts if c == counts[0]) / len(counts)
        score = same * 100 + min(counts[0], 50)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _physical_lines(handle: io.TextIOBase) -> Iterator[str]:
    while True:
        line = handle.readline(MAX_LINE_CHARS + 1)
        if not line:
            return
        if len(line) > MAX_LINE_CHARS and not line.endswith("\n"):
            while (more := handle.readline(MAX_LINE_CHARS)) and not more.endswith("\n"):
                pass
            yield OVERLONG + "\n"
            continue
        yield line


def _csv_rows(path: Path, encoding: str, delimiter: str) -> RowSource:
    raw: BinaryIO = path.open("rb")
    errors = "strict" if encoding.startswith("utf-16") else "atende_cp1252"
    if encoding == "cp1252":
        errors = "atende_cp1252"
    handle = io.TextIOWrapper(raw, encoding=encoding, errors=errors, newline="")
    reader = csv.reader(_physical_lines(handle), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as err:
        handle.close()
        raise CampaignError("file_not_csv", f"no header row could be read: {err}") from err

    def rows() -> Iterator[tuple[int, list[object]]]:
        previous = reader.line_num
        try:
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as err:
                    yield previous + 1, [OVERLONG + f": {err}"]
                    previous = reader.line_num
                    continue
                line = previous + 1
                previous = reader.line_num
                if "".join(cells).strip():  # a row of blank cells is no row
                    yield line, list(cells)
        finally:
            handle.close()

    return RowSource([h.strip() for h in header], rows(), "csv", encoding, delimiter)

"""Helpers of the campaign tests: valid CPFs, files written as spreadsheets write them."""

from __future__ import annotations

from pathlib import Path

from erp_bridge.domain.taxid import cpf_check_digits


def cpf(base9: int) -> str:
    """A valid CPF (11 digits) from nine digits."""
    base = f"{base9:09d}"
    return base + cpf_check_digits(base)


def write_csv(path: Path, lines: list[list[str]], delimiter: str = ";", encoding: str = "utf-8",
              newline: str = "\r\n") -> Path:  # fmt: skip
    """A CSV as a spreadsheet saves it (no quoting unless needed)."""
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=newline).writerows(lines)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path

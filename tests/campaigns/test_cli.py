"""``atende campaign upload / report / dnc-add`` on a real database."""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from atende.cli import main

from .helpers import cpf, write_csv


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """``main`` configures logging onto the captured stderr; put the previous setup back."""
    saved = structlog.get_config()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    structlog.configure(**saved)
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("restore_logging")
def test_upload_report_and_dnc_from_the_command_line(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """The manager loads a register, uploads a list with a mapping, reads the counts, writes
    the report, and uploading the same file again adds nothing."""
    monkeypatch.setenv("ATENDE_DATABASE_URL", database_url)
    monkeypatch.setenv("ATENDE_LOG_LEVEL", "warning")
    dnc = tmp_path / "procon.txt"
    dnc.write_text("telefone\n(11) 95555-6666\nnot a phone 1\n")
    assert main(["campaign", "dnc-add", str(dnc), "--register", "procon-sp"]) == 0
    assert "register procon-sp: 1 numbers added, 1 lines not a phone" in capsys.readouterr().out
    path = write_csv(
        tmp_path / "lista.csv",
        [["Cliente", "Numero", "Documento"], ["Ana", "11987654321", cpf(1)],
         ["Bia", "11955556666", cpf(2)], ["Caio", "12", cpf(3)]],
    )  # fmt: skip
    assert main(["campaign", "upload", str(path), "--list", "vendas-nov", "--map",
                 "Numero=phone"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "3 rows, 1 leads added, 2 rows rejected" in out
    assert "do_not_call: 1" in out and "no_valid_phone: 1" in out
    upload_id = out.split("upload ")[1].split(" ")[0]
    report = tmp_path / "r.csv"
    assert main(["campaign", "report", upload_id, "--out", str(report)]) == 0
    with report.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["line"], r["reason"]) for r in rows] == [
        ("3", "do_not_call"), ("3", "no_phone_left"), ("4", "phone_invalid"),
        ("4", "no_valid_phone"),
    ]  # fmt: skip
    assert main(["campaign", "upload", str(path), "--list", "vendas-nov", "--map",
                 "Numero=phone"]) == 0  # fmt: skip
    assert "already loaded into vendas-nov; nothing added" in capsys.readouterr().out
    assert main(["campaign", "report", "999"]) == 1
    assert "upload_unknown" in capsys.readouterr().err


@pytest.mark.usefixtures("restore_logging")
def test_campaign_create_list_start_pause_stop(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A campaign is created with its list and hours, listed, started, paused and stopped
    (audited with the system user); refusals print their code and exit 1."""
    import asyncio
    import getpass

    from atende.audit import AuditLog
    from atende.db import make_engine

    monkeypatch.setenv("ATENDE_DATABASE_URL", database_url)
    monkeypatch.setenv("ATENDE_LOG_LEVEL", "warning")
    assert main(["campaign", "create", "Cobra Dez", "--kind", "telecobranca", "--queue",
                 "cobranca", "--caller-id", "1133334444", "--list", "dez",
                 "--hours", "mon=10:00-18:00", "--state", "SP"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "campaign 1 created (draft)" in out and "lists=1" in out
    assert main(["campaign", "list"]) == 0
    listed = capsys.readouterr().out
    assert "Cobra Dez" in listed and "telecobranca" in listed and "draft" in listed
    assert main(["campaign", "create", "Venda", "--kind", "telemarketing", "--queue", "v",
                 "--caller-id", "1133334444"]) == 1  # fmt: skip
    assert "caller_id_not_0303" in capsys.readouterr().err
    assert main(["campaign", "create", "Venda", "--kind", "telemarketing", "--queue", "v",
                 "--caller-id", "03031234567", "--hours", "sun=10:00-12:00"]) == 1  # fmt: skip
    assert "hours_outside_profile" in capsys.readouterr().err
    for action, status in (("start", "running"), ("pause", "paused"), ("stop", "stopped")):
        assert main(["campaign", action, "1"]) == 0
        assert f"campaign 1 Cobra Dez: {status}" in capsys.readouterr().out
    assert main(["campaign", "start", "1"]) == 1
    assert "illegal_transition" in capsys.readouterr().err
    assert main(["campaign", "pause", "9"]) == 1
    assert "campaign_not_found" in capsys.readouterr().err

    async def actions() -> list[tuple[str, str]]:
        engine = make_engine(database_url)
        try:
            return [(e.action, e.actor) for e in await AuditLog(engine).entries()]
        finally:
            await engine.dispose()

    actor = f"cli:{getpass.getuser()}"
    assert asyncio.run(actions()) == [
        ("campaign_start", actor), ("campaign_pause", actor), ("campaign_stop", actor),
    ]  # fmt: skip

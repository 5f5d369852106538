"""``atende campaign ...``: upload dialer lists, write rejection reports, load do-not-call
registers; the campaigns themselves: :mod:`atende.cli_campaign_admin`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from atende.settings import Settings


def add_campaign_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``campaign`` command group."""
    campaign = sub.add_parser(
        "campaign", help="campaigns and dialer lists: create, start, upload, report, DNC"
    )
    cmds = campaign.add_subparsers(dest="campaign_command", required=True)
    upload = cmds.add_parser("upload", help="validate and load a CSV or XLSX list")
    upload.add_argument("file", type=Path)
    upload.add_argument("--list", required=True, dest="list_name", help="list name")
    upload.add_argument("--campaign", default=None, help="campaign (duplicates checked across it)")
    upload.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help="map a column to name, phone, tax_id, email, state, city, external_id, "
        "custom:NAME or - (ignore); repeatable",
    )
    upload.add_argument("--region", default="BR", help="country of national phone numbers")
    report = cmds.add_parser("report", help="write the rejected rows of an upload as CSV")
    report.add_argument("upload_id", type=int)
    report.add_argument("--out", type=Path, default=None, help="file (default: standard output)")
    dnc = cmds.add_parser("dnc-add", help="load a do-not-call register (one phone per line)")
    dnc.add_argument("file", type=Path)
    dnc.add_argument("--register", default="internal", help="register name (internal, procon-sp)")
    dnc.add_argument("--region", default="BR")
    from atende.cli_campaign_admin import add_campaign_commands

    add_campaign_commands(cmds)


def run_campaign(settings: Settings, args: argparse.Namespace) -> int:
    """Run one ``atende campaign`` command; returns the exit status."""
    from campaigns.domain.errors import CampaignError

    command: str = args.campaign_command
    from atende.cli_campaign_admin import run_campaign_admin

    def admin(engine: AsyncEngine, args: argparse.Namespace) -> Awaitable[int]:
        return run_campaign_admin(engine, args, settings)

    work = {"upload": _upload, "report": _report, "dnc-add": _dnc_add}.get(command, admin)
    if command in ("upload", "dnc-add") and not args.file.is_file():
        print(f"atende campaign {command}: file_missing: {args.file} is not a file")
        return 1
    try:
        return asyncio.run(_with_engine(settings, lambda engine: work(engine, args)))
    except CampaignError as err:
        print(f"atende campaign {command}: {err.code}: {err.message}", file=sys.stderr)
        return 1


async def _with_engine(settings: Settings, work: Callable[[AsyncEngine], Awaitable[int]]) -> int:
    from atende.db import make_engine, upgrade

    await asyncio.to_thread(upgrade, settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        return await work(engine)
    finally:
        await engine.dispose()


def _now() -> datetime:
    return datetime.now(UTC)


async def _upload(engine: AsyncEngine, args: argparse.Namespace) -> int:
    from campaigns.app.upload_list import UploadRequest, upload_list
    from campaigns.domain.errors import CampaignError
    from campaigns.files.source import file_sha256, open_rows
    from campaigns.port import UploadCounts
    from campaigns.sql.store import SqlListStore

    path: Path = args.file
    mapping = {}
    for item in args.map:
        column, sep, field = item.partition("=")
        if not sep:
            raise CampaignError("mapping_invalid", f"--map {item!r}: write COLUMN=FIELD")
        mapping[column.strip()] = field.strip()
    file_hash = await asyncio.to_thread(file_sha256, path)
    source = await asyncio.to_thread(open_rows, path)
    print(f"reading {path.name}: {source.kind} {source.encoding} {source.delimiter!r}".rstrip())

    def progress(counts: UploadCounts) -> None:
        print(
            f"  {counts.rows_read} rows: {counts.leads_added} leads added, "
            f"{counts.rows_rejected} rows rejected",
            flush=True,
        )

    request = UploadRequest(
        args.list_name, path.name, file_hash, args.campaign, mapping, args.region
    )
    result = await upload_list(SqlListStore(engine), source, request, clock=_now, progress=progress)
    up = result.upload
    if result.repeated:
        print(f"upload {up.id}: this file was already loaded into {args.list_name}; nothing added")
        return 0
    c = up.counts
    print(
        f"upload {up.id} done: {c.rows_read} rows, {c.leads_added} leads added, "
        f"{c.rows_rejected} rows rejected, {c.problems} problems"
    )
    for reason, count in sorted(up.reasons.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {reason}: {count}")
    if c.problems:
        print(f"report: atende campaign report {up.id} --out rejected-{up.id}.csv")
    return 0


async def _report(engine: AsyncEngine, args: argparse.Namespace) -> int:
    from campaigns.app.upload_report import write_report
    from campaigns.sql.store import SqlListStore

    store = SqlListStore(engine)
    if args.out is None:
        await write_report(store, args.upload_id, sys.stdout)
        return 0
    with args.out.open("w", encoding="utf-8-sig", newline="") as out:
        count = await write_report(store, args.upload_id, out)
    print(f"{count} problem rows written to {args.out}")
    return 0


def _read_numbers(path: Path, region: str) -> tuple[list[str], int]:
    from campaigns.domain.phones import PhoneProblem, normalise_phone

    numbers, bad = [], 0
    with path.open("r", encoding="utf-8-sig", errors="replace") as handle:
        for raw in handle:
            text = raw.strip().split(",")[0].split(";")[0]
            if not text or not any(ch.isdigit() for ch in text):
                continue
            try:
                numbers.append(normalise_phone(text, region).number)
            except PhoneProblem:
                bad += 1
    return numbers, bad


async def _dnc_add(engine: AsyncEngine, args: argparse.Namespace) -> int:
    from campaigns.sql.store import SqlListStore

    numbers, bad = await asyncio.to_thread(_read_numbers, args.file, args.region)
    added = await SqlListStore(engine).add_do_not_call(numbers, args.register, _now())
    print(f"register {args.register}: {added} numbers added, {bad} lines not a phone")
    return 0

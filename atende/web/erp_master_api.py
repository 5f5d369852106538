"""A site's master data through the API (admin only): rows as JSON, or a CSV / XLSX file
streamed to disk then loaded in batches. The answer is the load's report: rows read, added,
changed, unchanged, and each refused row with its line, field and problem."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from atende.auth import Role
from atende.web.agent_scope import check_agent_customer
from atende.web.erp_support import body_of, erp, erp_errors, parse, reply
from atende.web.guards import raw_body
from atende.web.security import allow
from erp_bridge.app.import_master import FORMATS, file_rows, import_rows
from erp_bridge.app.master_data import KINDS
from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.master import Touched
from erp_bridge.embedded.adapter import EmbeddedErp

MAX_FILE = 200 * 1024 * 1024


class RowsBody(BaseModel):
    """``{"rows": [{...}, ...]}``: records of one kind, as in the import files' columns."""

    model_config = ConfigDict(extra="forbid")
    rows: list[dict[str, Any]] = Field(min_length=1, max_length=10_000)


def _embedded(request: web.Request) -> EmbeddedErp:
    found = erp(request).embedded
    if found is None:
        raise ErpError("not_supported", "master data is kept in Protheus")
    return found


def _kind(request: web.Request) -> str:
    kind = request.match_info["kind"]
    if kind not in KINDS:
        raise ErpError("kind_unknown", f"kinds are {', '.join(KINDS)}")
    return kind


@allow()
@erp_errors
async def put_rows(request: web.Request) -> web.Response:
    """Add or replace master data of one kind (``customers``, ``contacts``, ``products``,
    ``bom``, ``stock``, ``stock_entries``, ``operations``, ``payment_terms``, ``price_tables``,
    ``prices``, ``receivables``); a row's line is its place in the list (from 1). Blocked
    orders touched by new stock or credit data are judged again."""
    kind = _kind(request)
    body = parse(RowsBody, await body_of(request))
    erp_ = _embedded(request)
    touched = Touched()
    report = await import_rows(erp_, kind, enumerate(body.rows, 1), touched=touched)
    analysed = await erp_.reanalyse(touched)
    return reply({**_report(report), "reanalysed": analysed})


@allow()
@erp_errors
@raw_body
async def import_file(request: web.Request) -> web.Response:
    """Load a CSV (UTF-8, comma or semicolon) or XLSX file of one kind (``?format=csv`` or
    ``xlsx``; the first row names the columns); lines are the file's."""
    kind = _kind(request)
    fmt = request.query.get("format", "csv").lower()
    if fmt not in FORMATS:
        raise ErpError("format_unknown", f"files are {' or '.join(FORMATS)}")
    erp_ = _embedded(request)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload.{fmt}"
        size = 0
        with path.open("wb") as out:
            async for chunk in request.content.iter_chunked(1 << 16):
                size += len(chunk)
                if size > MAX_FILE:
                    raise ErpError("file_too_large", f"a file is at most {MAX_FILE >> 20} MB")
                out.write(chunk)
        touched = Touched()
        try:
            report = await import_rows(erp_, kind, file_rows(path, fmt), touched=touched)
        except (ValueError, UnicodeDecodeError, OSError) as err:
            raise ErpError("file_unreadable", f"the file cannot be read as {fmt}: {err}") from None
    analysed = await erp_.reanalyse(touched)
    return reply({**_report(report), "reanalysed": analysed})


def _report(report: Any) -> dict[str, Any]:
    return {
        "kind": report.kind,
        "rows": report.rows,
        "added": report.added,
        "changed": report.changed,
        "unchanged": report.unchanged,
        "refused": report.refused,
    }


@allow(Role.AGENT, Role.SUPERVISOR)
@erp_errors
async def get_contacts(request: web.Request) -> web.Response:
    """The contacts of a customer store (name, role, phone, e-mail)."""
    m = request.match_info
    await check_agent_customer(request, m["code"], m["store"])
    return reply({"contacts": await _embedded(request).contacts(m["code"], m["store"])})

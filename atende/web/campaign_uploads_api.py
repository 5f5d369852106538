"""Uploading dialer lists through the web: the file (multipart, field ``file``) is streamed to a
temporary file, never held whole, then validated and loaded by an owned task while the page
reads the upload's progress; the rejection report downloads as CSV.

The size limit is :data:`MAX_UPLOAD_BYTES` (256 MiB, about three million rows); a larger
file is refused with 413 ``upload_too_large`` and nothing of it is kept.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import IO

import structlog
from aiohttp import BodyPartReader, web
from pydantic import BaseModel

from atende.auth import Role
from atende.web.campaign_support import CampaignsWeb, campaign_errors, ctx
from atende.web.errors import ApiError
from atende.web.guards import raw_body
from atende.web.openapi_ops import Operation
from atende.web.security import allow
from campaigns.app.attach_list import attach_list
from campaigns.app.show_campaign import show_campaign
from campaigns.app.upload_list import StartedUpload, UploadRequest, begin_upload, load_upload
from campaigns.app.upload_report import write_report
from campaigns.domain.errors import CampaignError
from campaigns.files.source import RowSource, open_rows
from campaigns.port import Upload

log = structlog.get_logger("atende.campaigns")

MAX_UPLOAD_BYTES = 256 * 1024 * 1024
CHUNK = 256 * 1024
LIST_NAME = r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,127}$"


class UploadView(BaseModel):
    """An upload and its figures so far (``status`` running, done or failed)."""

    id: int
    list_id: int
    file_name: str
    status: str
    rows_read: int
    leads_added: int
    rows_rejected: int
    problems: int
    reasons: dict[str, int]
    started_at: datetime
    finished_at: datetime | None
    error: str
    repeated: bool = False
    report: str


def view(upload: Upload, repeated: bool = False) -> UploadView:
    c = upload.counts
    return UploadView(
        id=upload.id,
        list_id=upload.list_id,
        file_name=upload.file_name,
        status=upload.status,
        rows_read=c.rows_read,
        leads_added=c.leads_added,
        rows_rejected=c.rows_rejected,
        problems=c.problems,
        reasons=dict(upload.reasons),
        started_at=upload.started_at,
        finished_at=upload.finished_at,
        error=upload.error,
        repeated=repeated,
        report=f"/api/campaigns/uploads/{upload.id}/report",
    )


def _write(handle: IO[bytes], data: bytes) -> None:
    handle.write(data)


def _remove(path: Path) -> None:
    with suppress(OSError):
        path.unlink()


async def _chunk(part: BodyPartReader) -> bytes:
    try:
        return await part.read_chunk(CHUNK)
    except (ValueError, AssertionError) as err:  # a body that ends before its boundary
        raise ApiError(400, "invalid_multipart", f"the file part cannot be read: {err}") from None


async def _receive(request: web.Request) -> tuple[Path, str, str]:
    """Stream the ``file`` part to a temporary file: its path, name and SHA-256."""
    if not request.content_type.startswith("multipart/form-data"):
        raise ApiError(415, "unsupported_media_type", "send the file as multipart/form-data")
    try:
        reader = await request.multipart()
        part = await reader.next()
        while part is not None and not (isinstance(part, BodyPartReader) and part.name == "file"):
            part = await reader.next()
    except (ValueError, AssertionError, KeyError) as err:  # no boundary, a broken part
        raise ApiError(400, "invalid_multipart", f"the form cannot be read: {err}") from None
    if part is None:
        raise ApiError(422, "file_missing", "no part named 'file' in the form")
    assert isinstance(part, BodyPartReader)
    name = os.path.basename(part.filename or "upload.csv")[:255] or "upload.csv"
    fd, raw_path = tempfile.mkstemp(prefix="atende-list-", suffix=".upload")
    path = Path(raw_path)
    digest, size = hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "wb") as handle:
            while chunk := await _chunk(part):
                size += len(chunk)
                if size > MAX_UPLOAD_BYTES:
                    raise ApiError(
                        413, "upload_too_large",
                        f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB",
                    )  # fmt: skip
                digest.update(chunk)
                await asyncio.to_thread(_write, handle, chunk)
            try:  # the form must go on to its closing boundary (a cut upload does not)
                await reader.next()
            except (ValueError, AssertionError):
                raise ApiError(
                    400, "invalid_multipart", "the form ends before its last boundary"
                ) from None
    except BaseException:
        _remove(path)
        raise
    return path, name, digest.hexdigest()


async def _load(
    c: CampaignsWeb, source: RowSource, started: StartedUpload, region: str, path: Path
) -> None:
    try:
        await load_upload(c.lists, source, started, region, clock=c.clock)
    except CampaignError as err:  # recorded on the upload as failed
        log.info("list_upload_stopped", upload_id=started.upload_id, code=err.code)
    except asyncio.CancelledError:
        await c.lists.finish_upload(
            started.upload_id, "failed", {}, c.clock(), "interrupted: the engine stopped"
        )
        raise
    finally:
        _remove(path)


def _mapping(request: web.Request) -> dict[str, str]:
    mapping = {}
    for item in request.query.getall("map", []):
        column, sep, field = item.partition("=")
        if not sep:
            raise CampaignError("mapping_invalid", f"map {item!r}: write COLUMN=FIELD")
        mapping[column.strip()] = field.strip()
    return mapping


@raw_body
@allow(Role.CAMPAIGN_MANAGER)
@campaign_errors
async def post_upload(request: web.Request) -> web.Response:
    """POST /api/campaigns/lists/{list}/uploads: upload a CSV or XLSX list (multipart/form-data,
    part ``file``; at most 256 MiB). Query: ``campaign`` (id: the list is made in it and
    attached to it), ``map`` (``COLUMN=FIELD``, repeatable), ``region`` (of national phones,
    BR). Answers 202 at once with the running upload (read its progress at ``GET
    /api/campaigns/uploads/{id}``), or 200 with the earlier upload when the same bytes were
    loaded into the list before (nothing is added twice). A file that cannot be a list
    (empty, not CSV nor a workbook, no phone column) is refused with 422 and its code."""
    c = ctx(request)
    list_name = request.match_info["list"]
    if not re.fullmatch(LIST_NAME, list_name):
        raise ApiError(422, "list_name_invalid", "a list name is letters, digits, . _ - space")
    campaign = None
    if "campaign" in request.query:
        raw = request.query["campaign"]
        if not raw.isdigit() or len(raw) > 9:
            raise CampaignError("campaign_not_found", f"no campaign {raw!r}")
        campaign = await show_campaign(c.campaigns, int(raw))
    mapping = _mapping(request)
    region = request.query.get("region", "BR").upper()[:2]
    path, file_name, file_hash = await _receive(request)
    try:
        source = await asyncio.to_thread(open_rows, path)
        upload_request = UploadRequest(
            list_name, file_name, file_hash, campaign.name if campaign else None, mapping, region
        )
        started = await begin_upload(c.lists, source, upload_request, clock=c.clock)
    except BaseException:
        _remove(path)
        raise
    if campaign is not None:
        await attach_list(c.campaigns, c.lists, campaign.id, list_name, c.clock())
    if started.earlier is not None:
        _remove(path)
        return web.json_response(view(started.earlier, True).model_dump(mode="json"))
    c.uploads.run(f"list-upload-{started.upload_id}", _load(c, source, started, region, path))
    upload = await c.lists.get_upload(started.upload_id)
    assert upload is not None
    return web.json_response(view(upload).model_dump(mode="json"), status=202)


def _upload_id(request: web.Request) -> int:
    raw = request.match_info["upload"]
    if not raw.isdigit() or len(raw) > 9:
        raise ApiError(404, "upload_unknown", f"no upload {raw!r}")
    return int(raw)


@allow(Role.CAMPAIGN_MANAGER)
@campaign_errors
async def get_upload(request: web.Request) -> web.Response:
    """GET /api/campaigns/uploads/{upload}: the upload's status and figures so far."""
    upload = await ctx(request).lists.get_upload(_upload_id(request))
    if upload is None:
        raise CampaignError("upload_unknown", f"no upload {request.match_info['upload']}")
    return web.json_response(view(upload).model_dump(mode="json"))


@allow(Role.CAMPAIGN_MANAGER)
@campaign_errors
async def get_report(request: web.Request) -> web.StreamResponse:
    """GET /api/campaigns/uploads/{upload}/report: every rejected row (line, field, reason,
    message, value, loaded) as CSV (UTF-8 with BOM, for spreadsheets); cells that look like
    formulas are neutralised."""
    upload_id = _upload_id(request)
    fd, raw_path = tempfile.mkstemp(prefix="atende-report-", suffix=".csv")
    path = Path(raw_path)
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as handle:
            await write_report(ctx(request).lists, upload_id, handle)
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/csv; charset=utf-8",
                "Content-Disposition": f'attachment; filename="rejected-{upload_id}.csv"',
            }
        )
        await response.prepare(request)
        with await asyncio.to_thread(path.open, "rb") as data:
            while chunk := await asyncio.to_thread(data.read, CHUNK):
                await response.write(chunk)
        await response.write_eof()
        return response
    finally:
        _remove(path)


UPLOAD = {"upload": int}
TAGS = ("campaigns",)
OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "POST", "/api/campaigns/lists/{list}/uploads", post_upload, 202, response=UploadView,
        params={"list": str}, refusals=(400, 409), tags=TAGS,
    ),
    Operation(
        "GET", "/api/campaigns/uploads/{upload}", get_upload, response=UploadView, params=UPLOAD,
        tags=TAGS,
    ),
    Operation(
        "GET", "/api/campaigns/uploads/{upload}/report", get_report, params=UPLOAD, tags=TAGS
    ),
)  # fmt: skip

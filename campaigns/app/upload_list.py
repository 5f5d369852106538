"""Use case: upload a dialer list file, validated and loaded in batches (never whole).

Each batch of rows is validated (pure), screened against the scope's leads and phones and the
do-not-call registers, and stored with its problems in one transaction; progress is reported
after each batch. The same bytes uploaded again to the same list add nothing (file hash); a
different file repeating leads adds only the new ones (lead key and phone, per scope).
"""

from __future__ import annotations

import asyncio
import gc
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

import structlog

from campaigns.domain.errors import CampaignError
from campaigns.domain.leads import ColumnMap, Problem, RowResult, map_columns, validate_row
from campaigns.domain.screening import screen
from campaigns.files.source import OVERLONG, RowSource
from campaigns.port import DialList, ListStore, Upload, UploadCounts

log = structlog.get_logger("campaigns.upload")

BATCH_ROWS = 10_000


YOUNG_COLLECTION_THRESHOLD = 100_000
"""Allocations between the garbage collector's young collections while uploads run."""


class _Collections:
    """Fewer garbage collections while uploads run (process-wide, restored after the last).

    A list's rows make many small objects that live for one batch; at the default threshold
    (700) the collector runs thousands of times per 1,000,000 rows and, each time enough
    objects have survived, walks every object of the process (a quarter of the upload's
    CPU). Counting 100,000 allocations between young collections makes those walks rare;
    memory is not held longer (objects are freed by reference counting, the collector only
    finds cycles).
    """

    def __init__(self) -> None:
        self.users = 0
        self.saved = gc.get_threshold()

    @contextmanager
    def fewer(self) -> Iterator[None]:
        if self.users == 0:
            self.saved = gc.get_threshold()
            if 0 < self.saved[0] < YOUNG_COLLECTION_THRESHOLD:  # 0: collection is off
                gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *self.saved[1:])
        self.users += 1
        try:
            yield
        finally:
            self.users -= 1
            if self.users == 0:
                gc.set_threshold(*self.saved)


_collections = _Collections()


@dataclass(frozen=True)
class UploadRequest:
    """What to upload where: the list (created on first use, in ``campaign``), the file's
    name and SHA-256, the column overrides and the region of national phone numbers."""

    list_name: str
    file_name: str
    file_hash: str
    campaign: str | None = None
    mapping: Mapping[str, str] | None = None
    region: str = "BR"


@dataclass(frozen=True)
class UploadResult:
    """The upload (new or the earlier one of the same file) and whether it was a repeat."""

    upload: Upload
    repeated: bool


async def _settle(ahead: asyncio.Future[list[RowResult]]) -> None:
    """Wait for the batch being read ahead (a thread cannot be cancelled) and drop it."""
    try:
        await asyncio.shield(ahead)
    except Exception:  # the reading fault was already reported by the batch that failed
        pass


def _take(results: Iterator[RowResult], size: int) -> list[RowResult]:
    return list(islice(results, size))


def _validated(
    rows: Iterator[tuple[int, list[object]]], columns: ColumnMap, region: str
) -> Iterator[RowResult]:
    for line, cells in rows:
        if cells and isinstance(cells[0], str) and cells[0].startswith(OVERLONG):
            detail = cells[0][len(OVERLONG) :].lstrip(": ") or "longer than the line limit"
            problem = Problem(line, "(row)", "line_too_long", detail)
            yield RowResult(None, (problem,))
            continue
        yield validate_row(line, cells, columns, region)


@dataclass(frozen=True)
class StartedUpload:
    """An upload begun: its list, the file's columns, and its id; or the earlier upload of the
    same bytes (``earlier``), in which case nothing is to be loaded."""

    dial_list: DialList
    columns: ColumnMap
    upload_id: int
    earlier: Upload | None = None


async def begin_upload(
    store: ListStore, source: RowSource, request: UploadRequest, *, clock: Callable[[], datetime]
) -> StartedUpload:
    """Check the columns (``CampaignError`` before anything is stored), make the list when
    new, and record a running upload (or find the earlier one of the same bytes)."""
    columns = map_columns(source.header, request.mapping)
    dial_list = await store.ensure_list(request.list_name, request.campaign, clock())
    earlier = await store.find_upload(dial_list.id, request.file_hash)
    if earlier is not None:
        log.info("list_upload_repeated", list=dial_list.name, upload_id=earlier.id)
        return StartedUpload(dial_list, columns, earlier.id, earlier)
    upload_id = await store.start_upload(dial_list, request.file_name, request.file_hash, clock())
    log.info("list_upload_started", list=dial_list.name, upload_id=upload_id, kind=source.kind)
    return StartedUpload(dial_list, columns, upload_id)


async def upload_list(
    store: ListStore,
    source: RowSource,
    request: UploadRequest,
    *,
    clock: Callable[[], datetime],
    progress: Callable[[UploadCounts], None] | None = None,
    batch_rows: int = BATCH_ROWS,
) -> UploadResult:
    """Validate and load ``source`` into the list; returns the upload with its counts.

    A file-level fault (no phone column, bad mapping) raises ``CampaignError`` before anything
    is stored; a bad row is reported and never stops the file.
    """
    started = await begin_upload(store, source, request, clock=clock)
    if started.earlier is not None:
        return UploadResult(started.earlier, repeated=True)
    return await load_upload(
        store, source, started, request.region, clock=clock, progress=progress,
        batch_rows=batch_rows,
    )  # fmt: skip


async def load_upload(
    store: ListStore,
    source: RowSource,
    started: StartedUpload,
    region: str,
    *,
    clock: Callable[[], datetime],
    progress: Callable[[UploadCounts], None] | None = None,
    batch_rows: int = BATCH_ROWS,
) -> UploadResult:
    """Validate and load the rows of a begun upload, batch by batch."""
    with _collections.fewer():
        return await _load(store, source, started, region, clock, progress, batch_rows)


async def _load(
    store: ListStore,
    source: RowSource,
    started: StartedUpload,
    region: str,
    clock: Callable[[], datetime],
    progress: Callable[[UploadCounts], None] | None,
    batch_rows: int,
) -> UploadResult:
    dial_list, upload_id = started.dial_list, started.upload_id
    reasons: Counter[str] = Counter()
    counts = UploadCounts()
    results = _validated(source.rows, started.columns, region)
    # Reading and validating run in a worker thread while the previous batch is stored: the
    # event loop stays free and at most two batches are in memory.
    ahead: asyncio.Future[list[RowResult]] = asyncio.ensure_future(
        asyncio.to_thread(_take, results, batch_rows)
    )
    try:
        while batch := await ahead:
            ahead = asyncio.ensure_future(asyncio.to_thread(_take, results, batch_rows))
            keys = {r.lead.key for r in batch if r.lead}
            numbers = {p.number for r in batch if r.lead for p in r.lead.phones}
            known_keys, known_phones, registers = await store.known(dial_list.scope, keys, numbers)
            screened = screen(batch, known_keys, known_phones, registers)
            reasons.update(p.reason for p in screened.problems)
            counts = UploadCounts(
                rows_read=counts.rows_read + len(batch),
                leads_added=counts.leads_added + len(screened.leads),
                rows_rejected=counts.rows_rejected + screened.rejected_rows,
                problems=counts.problems + len(screened.problems),
            )
            await store.add_batch(
                upload_id, dial_list, screened.leads, screened.problems, counts, clock()
            )
            if progress is not None:
                progress(counts)
    except Exception as err:
        # The batches stored so far stay (each was one transaction); the upload says where
        # it stopped, and uploading the file again skips what is already in.
        await _settle(ahead)
        await store.finish_upload(upload_id, "failed", reasons, clock(), str(err)[:500])
        log.warning("list_upload_failed", upload_id=upload_id, rows=counts.rows_read,
                    error=str(err)[:500])  # fmt: skip
        if isinstance(err, CampaignError | UnicodeDecodeError | OSError):
            message = f"reading stopped after row {counts.rows_read}: {err}"
            raise CampaignError("file_unreadable", message) from err
        raise
    except BaseException:
        await _settle(ahead)
        raise
    await store.finish_upload(upload_id, "done", reasons, clock(), "")
    log.info(
        "list_upload_done",
        upload_id=upload_id,
        rows=counts.rows_read,
        added=counts.leads_added,
        rejected=counts.rows_rejected,
    )
    upload = await store.get_upload(upload_id)
    assert upload is not None
    return UploadResult(upload, repeated=False)

"""What the campaign endpoints share: their context (stores, audit, dialer ports, clock), the
HTTP status of each campaign error code, and the owned tasks that load uploaded lists."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from atende.audit import AuditEntry, AuditLog
from atende.web.errors import ApiError
from atende.web.security import Handler
from campaigns.domain.campaign import CampaignInvalid
from campaigns.domain.errors import CampaignError
from campaigns.port import DialerControl, DialerFigures, PreviewLeads
from campaigns.sql.campaign_store import SqlCampaignStore
from campaigns.sql.store import SqlListStore

log = structlog.get_logger("atende.campaigns")

NOT_FOUND = frozenset({"campaign_not_found", "list_not_found", "upload_unknown"})
CONFLICT = frozenset(
    {"campaign_exists", "illegal_transition", "campaign_running", "campaign_stopped", "no_lists",
     "no_preview_lead", "no_call"}
)  # fmt: skip
UNAVAILABLE = frozenset({"erp_unavailable", "dialer_unavailable"})


def campaign_id(request: web.Request) -> int:
    """The ``{campaign}`` of the path (404 when not a number the id column can hold)."""
    raw = request.match_info["campaign"]
    if not raw.isdigit() or len(raw) > 9:
        raise ApiError(404, "campaign_not_found", f"no campaign {raw!r}")
    return int(raw)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class AuditAdapter:
    """The campaigns' audit trail on the engine's audit log."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._log = AuditLog(engine)

    async def record(
        self, actor: str, action: str, target: str, at: datetime, details: Mapping[str, object]
    ) -> None:
        """Append one ``ok`` entry."""
        await self._log.record(AuditEntry(at, actor, action, "ok", "", target, dict(details)))


class UploadTasks:
    """The loads of uploaded lists running after their request was answered; owned here,
    cancelled and awaited when the application stops."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def run(self, name: str, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` as an owned task."""
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("list_upload_task_failed", task=task.get_name(),
                      error=type(task.exception()).__name__)  # fmt: skip

    async def wait(self) -> None:
        """Wait for every load running now (tests, shutdown)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def close(self) -> None:
        """Cancel the loads still running and wait for them."""
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


@dataclass
class CampaignsWeb:
    """The ports the campaign endpoints use. ``dialer`` and ``figures`` are the dialer
    runtime's (``None`` until it runs: figures then come from storage)."""

    engine: AsyncEngine
    dialer: DialerControl | None = None
    figures: DialerFigures | None = None
    clock: Callable[[], datetime] = _utcnow
    erp: Any = None  # an ErpPort, for the telecobrança lists
    preview: PreviewLeads | None = None  # the dialer's preview campaigns (agents' desktop)
    uploads: UploadTasks = field(default_factory=UploadTasks)

    @property
    def campaigns(self) -> SqlCampaignStore:
        return SqlCampaignStore(self.engine)

    @property
    def lists(self) -> SqlListStore:
        return SqlListStore(self.engine)

    @property
    def audit(self) -> AuditAdapter:
        return AuditAdapter(self.engine)


CAMPAIGNS: web.AppKey[CampaignsWeb] = web.AppKey("campaigns", CampaignsWeb)


def ctx(request: web.Request) -> CampaignsWeb:
    """The campaign context of the application."""
    return request.app[CAMPAIGNS]


def campaign_error(err: CampaignError) -> ApiError:
    """The API error of a campaign refusal: 404, 409, 503 or 422 (with each bad field)."""
    if isinstance(err, CampaignInvalid):
        fields = [{"field": i.field, "problem": f"{i.code}: {i.message}"} for i in err.issues]
        return ApiError(422, err.code, err.message, fields=fields)
    if err.code in NOT_FOUND:
        return ApiError(404, err.code, err.message)
    if err.code in CONFLICT:
        return ApiError(409, err.code, err.message)
    if err.code in UNAVAILABLE:
        return ApiError(503, err.code, err.message)
    return ApiError(422, err.code, err.message)


def campaign_errors(handler: Handler) -> Handler:
    """Answer ``CampaignError`` with its code and status."""

    @functools.wraps(handler)
    async def call(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except CampaignError as err:
            raise campaign_error(err) from None

    return call

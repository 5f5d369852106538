"""The port of campaign lists: what the upload use case needs from storage."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from campaigns.domain.leads import Lead, Problem


@dataclass(frozen=True)
class DialList:
    """A dialer list; ``scope`` is where duplicates are looked for (its campaign, or itself)."""

    id: int
    name: str
    campaign: str | None
    scope: str


@dataclass(frozen=True)
class UploadCounts:
    """Figures of an upload (kept up to date while it runs)."""

    rows_read: int = 0
    leads_added: int = 0
    rows_rejected: int = 0
    problems: int = 0


@dataclass(frozen=True)
class Upload:
    """One upload of a file to a list."""

    id: int
    list_id: int
    file_name: str
    file_hash: str
    status: str  # running | done | failed
    counts: UploadCounts
    reasons: Mapping[str, int]
    started_at: datetime
    finished_at: datetime | None = None
    error: str = ""


class ListStore(Protocol):
    """Storage of lists, leads, phones, do-not-call registers and upload reports."""

    async def ensure_list(self, name: str, campaign: str | None, now: datetime) -> DialList:
        """The list named ``name`` (created with ``campaign`` when new)."""
        ...

    async def find_upload(self, list_id: int, file_hash: str) -> Upload | None:
        """A finished upload of the same bytes to the same list, if any."""
        ...

    async def get_upload(self, upload_id: int) -> Upload | None:
        """An upload by id."""
        ...

    async def start_upload(
        self, dial_list: DialList, file_name: str, file_hash: str, now: datetime
    ) -> int:
        """Record a running upload; returns its id."""
        ...

    async def known(
        self, scope: str, keys: Iterable[str], phones: Iterable[str]
    ) -> tuple[set[str], set[str], dict[str, str]]:
        """Of ``keys`` and ``phones``: keys and phones already in ``scope``, and phones on a
        do-not-call register (``{number: register}``)."""
        ...

    async def add_batch(
        self,
        upload_id: int,
        dial_list: DialList,
        leads: Sequence[Lead],
        problems: Sequence[Problem],
        counts: UploadCounts,
        now: datetime,
    ) -> None:
        """Store leads, their phones and the problems, and the running counts, atomically."""
        ...

    async def finish_upload(
        self, upload_id: int, status: str, reasons: Mapping[str, int], now: datetime, error: str
    ) -> None:
        """Mark the upload done (or failed with ``error``) with its reason counts."""
        ...

    def problems(self, upload_id: int) -> AsyncIterator[Problem]:
        """Every problem of an upload in file order (streamed)."""
        ...

    async def add_do_not_call(self, numbers: Iterable[str], register: str, now: datetime) -> int:
        """Add numbers (E.164) to a register (``internal`` or an external one); returns how many
        were new."""
        ...

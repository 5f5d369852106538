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


# ---------------------------------------------------------------------------------- dialer
@dataclass(frozen=True)
class DialerFigureSet:
    """One campaign's live dialer figures (what the campaign manager's page shows)."""

    campaign_id: str
    status: str  # running | paused | stopped | finished
    mode: str
    dial_level: float
    """Calls in progress per agent of the campaign's queue."""
    lines_in_use: int
    answered: int
    """People reached in the abandon window (connected or abandoned)."""
    connected: int
    abandoned: int
    abandon_rate: float
    abandon_cap: float
    short_calls: int
    """Calls ended within 6 s of the answer today on the presented number (Anatel)."""
    short_call_cap: int
    short_call_warning: bool
    remaining_leads: int
    results: Mapping[str, int]
    """Finished attempts by result (human, busy, no_answer, machine, abandoned, failed)."""


class DialerControl(Protocol):
    """Start, pause and stop the dialing of a campaign."""

    async def start(self, campaign_id: str) -> None:
        """Dial the campaign (resumes a paused one); ``CampaignError`` when it cannot run."""
        ...

    async def pause(self, campaign_id: str) -> None:
        """Place no new calls; calls in progress go on."""
        ...

    async def stop(self, campaign_id: str) -> None:
        """Place no new calls and forget the run once its calls ended."""
        ...


class DialerFigures(Protocol):
    """Live figures of the campaigns the dialer runs."""

    def figures(self, campaign_id: str) -> DialerFigureSet | None:
        """The campaign's figures (None when the dialer never ran it)."""
        ...

    def all_figures(self) -> Sequence[DialerFigureSet]:
        """Every campaign the dialer runs or ran."""
        ...


@dataclass(frozen=True)
class QueueAgentsView:
    """The agents of a campaign's queue as the ACD sees them (for the pacer): ``free`` is the
    available agents less the other callers waiting in the queue (the dialer counts its own
    people)."""

    free: int
    busy_elapsed: Sequence[float]
    wrap_up_seconds: float


@dataclass(frozen=True)
class PersonReached:
    """A person the dialer reached, waiting in ``[dialer-hold]`` for an agent."""

    call_id: str  # the call's linkedid
    channel: str
    queue: str
    number: str
    campaign_id: str
    lead_id: str
    customer_id: str | None
    priority: int


class AgentHandoff(Protocol):
    """The ACD as the dialer uses it (``campaigns.dialer.acd_handoff`` adapts ``InboundAcd``)."""

    def queue_agents(self, queue: str) -> QueueAgentsView:
        """Agents able to take the queue's calls now."""
        ...

    def person_reached(self, person: PersonReached) -> None:
        """Queue the person for an agent (enqueue only)."""
        ...

    async def withdraw(self, call_id: str) -> bool:
        """Take the person out of the queue (True) unless an agent already answered."""
        ...

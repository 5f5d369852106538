"""The ports of campaigns: storage of lists and campaigns, the audit trail, and the dialer
(control and live figures) as the campaign manager's API and page see it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from campaigns.domain.campaign import Campaign
from campaigns.domain.leads import Lead, Problem
from erp_bridge.domain.collection import CollectionItem
from erp_bridge.domain.position import CustomerPosition


@dataclass(frozen=True)
class DialList:
    """A dialer list; ``scope`` is where duplicates are looked for (its campaign, or itself)."""

    id: int
    name: str
    campaign: str | None
    scope: str


@dataclass(frozen=True)
class ListSummary:
    """A list with its leads: how many in all and how many still to call."""

    id: int
    name: str
    campaign: str | None
    leads: int
    remaining: int


@dataclass(frozen=True)
class CollectionSync:
    """What a refresh of a telecobrança list changed: leads added, kept (figures updated),
    reopened (back on the list: a broken promise, a new overdue title), settled (paid or
    under a promise: off the list), and skipped (the customer is on another list of the
    scope)."""

    upload_id: int
    added: int = 0
    kept: int = 0
    reopened: int = 0
    settled: int = 0
    skipped: int = 0
    no_phone: int = 0  # debtors left out: no valid phone in the ERP


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

    async def lists(self, ids: Iterable[int] | None = None) -> list[ListSummary]:
        """Every list (or those of ``ids``) with its lead counts, by name."""
        ...

    async def lead_statuses(self, list_ids: Iterable[int]) -> dict[str, int]:
        """Leads of the lists by status (``new`` still to call, others as the dialer left
        them)."""
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

    async def sync_collection(
        self, dial_list: DialList, leads: Sequence[Lead], now: datetime
    ) -> CollectionSync:
        """Make the list's leads those of ``leads`` (matched by key): new ones added, present
        ones updated (a settled one reopened), the others still to call settled; recorded as
        one upload."""
        ...


class CollectionSource(Protocol):
    """What a telecobrança list needs of the ERP (a part of ``erp_bridge.port.ErpPort``)."""

    async def overdue_titles(self, *, min_days: int = 1) -> list[CollectionItem]:
        """Overdue titles (open promises excluded, broken ones flagged)."""
        ...

    async def customer_position(self, code: str, store: str) -> CustomerPosition:
        """The customer's registration (name, tax id, phones, risk) and balances."""
        ...


class CampaignStore(Protocol):
    """Storage of campaigns."""

    async def add(self, campaign: Campaign) -> Campaign:
        """Store a new campaign (its ``id`` is ignored); ``campaign_exists`` when the name is
        taken. Returns it with its id."""
        ...

    async def get(self, campaign_id: int) -> Campaign | None:
        """A campaign by id."""
        ...

    async def all(self) -> list[Campaign]:
        """Every campaign, by name."""
        ...

    async def save(self, campaign: Campaign) -> None:
        """Replace a stored campaign; ``campaign_exists`` when renamed onto another's name."""
        ...


class AuditTrail(Protocol):
    """Where security-relevant acts (start, pause, stop of a campaign) are recorded."""

    async def record(
        self, actor: str, action: str, target: str, at: datetime, details: Mapping[str, object]
    ) -> None:
        """Append one entry."""
        ...


# ------------------------------------------------------------------------------ dialer
@dataclass(frozen=True)
class CampaignFigures:
    """The live figures of one campaign (the dialer's when it runs it; else from storage)."""

    campaign_id: int
    dial_level: float  # calls placed per free agent right now
    lines_in_use: int
    answered: int
    abandon_rate: float
    abandon_cap: float
    short_calls: int
    short_call_cap: int
    remaining_leads: int
    results: Mapping[str, int]  # attempts' results and agents' dispositions, by code
    source: str = "dialer"  # dialer | stored
    status: str = ""  # the dialer's: running | paused | stopped | finished
    mode: str = ""
    connected: int = 0  # people connected to an agent (``answered`` = connected + abandoned)
    abandoned: int = 0
    short_call_warning: bool = False  # 80% of the presented number's daily cap


class DialerControl(Protocol):
    """Start, pause and stop the dialing of a campaign (the dialer runtime implements it)."""

    async def start(self, campaign_id: int) -> None:
        """Begin (or resume) dialing the campaign's leads."""
        ...

    async def pause(self, campaign_id: int) -> None:
        """Place no new calls; calls in progress end normally."""
        ...

    async def stop(self, campaign_id: int) -> None:
        """Place no new calls, for good."""
        ...


class DialerFigures(Protocol):
    """The live figures of the campaigns the dialer runs."""

    def figures(self, campaign_id: int) -> CampaignFigures | None:
        """The campaign's figures; ``None`` when the dialer is not running it."""
        ...


@dataclass(frozen=True)
class QueueAgentsView:
    """The agents of a campaign's queue as the ACD sees them (for the pacer): ``free`` is the
    available agents less the other callers waiting in the queue (the dialer counts its own
    people); ``busy`` each busy agent's state."""

    free: int
    busy: Sequence[BusyAgent]
    wrap_up_seconds: float


@dataclass(frozen=True)
class BusyAgent:
    """A busy agent as the pacer reads him: ``ringing`` (a call offered: his talk starts in a
    moment), ``on_call`` or ``wrap_up``; the seconds in that state; in wrap-up, the seconds
    left of it (None: it ends with his disposition, when is not known)."""

    state: str
    seconds: float
    wrap_left: float | None = None


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


@dataclass(frozen=True)
class ScheduledCallback:
    """A callback to place at ``due_at``: for ``agent``, or anyone (``agent`` None)."""

    id: int
    number: str
    due_at: datetime
    agent: str | None
    campaign_id: str
    lead_id: int | None
    name: str
    note: str


@dataclass(frozen=True)
class PreviewOffer:
    """A preview campaign's lead held for one agent, who dials it (his phone first) or skips
    it."""

    campaign_id: str
    agent: str
    lead_id: int
    name: str
    number: str
    state: str
    customer_id: str | None
    caller_id: str  # the number the customer will see ("" : the site's)
    callback_id: int | None = None  # a scheduled callback (lead_id 0 when it has no lead)
    due_at: datetime | None = None
    note: str = ""


class PreviewLeads(Protocol):
    """Preview campaigns as the agent's desktop uses them (the dialer runtime implements it)."""

    async def preview_offer(self, agent_id: str) -> PreviewOffer | None:
        """The lead held for the agent, else the next one for him (None: none now); while a
        lead is held for him the ACD offers him no call."""
        ...

    async def preview_skip(self, agent_id: str, lead_id: int, callback_id: int | None) -> None:
        """Pass over the offered lead or callback (``no_preview_lead`` when it is not his)."""
        ...

    async def preview_dial(self, agent_id: str, lead_id: int, callback_id: int | None) -> str:
        """Dial the offered lead or callback, his phone first; the attempt's id ("" for a
        callback of no campaign lead)."""
        ...

    async def schedule_callback(
        self,
        agent_id: str,
        call_id: str | None,
        at: datetime,
        anyone: bool,
        note: str,
        known: PreviewOffer | None = None,
    ) -> ScheduledCallback:
        """A callback of the agent's call (a dialer call ``call_id``, else his last preview
        lead; ``known``: another call's number) at ``at``, for him or anyone (``no_call``,
        ``callback_in_past``)."""
        ...

    def callbacks_of(self, agent_id: str) -> list[ScheduledCallback]:
        """Callbacks still to place that the agent may get: his and anyone's."""
        ...


class AgentHandoff(Protocol):
    """The ACD as the dialer uses it (``campaigns.dialer.acd_handoff`` adapts ``InboundAcd``)."""

    def agent_serves(self, agent_id: str, queue: str) -> bool:
        """Whether the agent is logged in with the queue's skills and available (preview
        offers go to him)."""
        ...

    def agent_free(self, agent_id: str) -> bool:
        """Whether the agent is logged in, available and on no call (callbacks go to him)."""
        ...

    async def hold_for_preview(self, agent_id: str) -> bool:
        """Keep the ACD's calls away from the agent while a preview lead is on his desk;
        False when he is no longer free (the lead is then not offered)."""
        ...

    async def release_preview(self, agent_id: str) -> None:
        """The preview lead left his desk (skipped, let go): the ACD may offer him calls."""
        ...

    async def agent_dial(
        self, agent_id: str, number: str, customer_id: str | None, variables: Mapping[str, str]
    ) -> str:
        """Ring the agent's phone; his answer dials ``number`` (the ACD's click-to-call, with
        the campaign's ``variables``); the Originate's ActionID. The ACD's refusals
        (``agent_busy``...) are raised as they are."""
        ...

    def queue_agents(self, queue: str) -> QueueAgentsView:
        """Agents able to take the queue's calls now."""
        ...

    def person_reached(self, person: PersonReached) -> None:
        """Queue the person for an agent (enqueue only)."""
        ...

    async def withdraw(self, call_id: str) -> bool:
        """Take the person out of the queue (True) unless an agent already answered."""
        ...

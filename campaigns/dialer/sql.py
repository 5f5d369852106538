"""``SqlDialerStore``: a campaign's leads with their dial state, and the attempts (SQL).

Leads come from the campaign's lists (``campaign_lists`` by id or name, else the lists
uploaded for the campaign) with their phones in order; ``campaign_dial_state`` keeps what the
dialer learnt per lead and campaign (attempts by result, retry time, 72 h guard, final), and
``campaign_dial_attempts`` one row per finished call.

The lead's own ``status`` (``campaign_leads.status``), which the lists and the stored figures
count, follows in the same transaction: ``retry`` (the dialer will call again) or ``done``
(final). A ``settled`` lead (a telecobrança customer who paid) is not dialled; a lead whose
dial state is final but whose status is ``new`` again was reopened (a broken promise): it is
dialled afresh, the 72 h guard after an abandon kept.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from campaigns.dialer.core import Outcome
from campaigns.dialer.leads import DialLead, LeadPhone
from campaigns.dialer.plan import DialingPlan
from campaigns.domain.retry import Result
from campaigns.sql.tables import dial_attempts, dial_state, leads, lists, phones

NEW, RETRY, DONE, SETTLED = "new", "retry", "done", "settled"
"""``campaign_leads.status``: still to call (never dialled, or due again), finished, paid off."""

CUSTOMER_FIELDS = ("customer_id", "cliente", "codigo_cliente")
"""Custom fields naming the ERP customer of a lead (else its external id)."""


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes (written in UTC)."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _customer(row: Any) -> str:
    custom = row.custom or {}
    for name in CUSTOMER_FIELDS:
        if custom.get(name):
            return str(custom[name])
    return str(row.external_id or "")


class SqlDialerStore:
    """The dialer's storage on SQLAlchemy async (SQLite, PostgreSQL)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def leads(self, plan: DialingPlan) -> list[DialLead]:
        """Every lead of the plan's lists, with what earlier runs of the campaign learnt."""
        async with self._engine.connect() as conn:
            query = sa.select(lists.c.id, lists.c.scope)
            if plan.lists:
                ids = [int(x) for x in plan.lists if x.isdigit()]
                query = query.where(sa.or_(lists.c.name.in_(plan.lists), lists.c.id.in_(ids)))
            else:
                query = query.where(lists.c.campaign == plan.campaign_id)
            found = (await conn.execute(query)).all()
            if not found:
                return []
            list_ids = [r.id for r in found]
            scopes = sorted({r.scope for r in found})
            rows = (
                await conn.execute(
                    sa.select(leads).where(leads.c.list_id.in_(list_ids)).order_by(leads.c.id)
                )
            ).all()
            numbers: dict[tuple[str, str], list[tuple[int, LeadPhone]]] = defaultdict(list)
            for p in await conn.execute(sa.select(phones).where(phones.c.scope.in_(scopes))):
                zones = tuple(z for z in p.zones.split(",") if z)
                numbers[(p.scope, p.lead_key)].append((p.position, LeadPhone(p.number, zones)))
            states = {
                s.lead_id: s
                for s in await conn.execute(
                    sa.select(dial_state).where(dial_state.c.campaign == plan.campaign_id)
                )
            }
        out = []
        for row in rows:
            owned = sorted(numbers.get((row.scope, row.lead_key), []), key=lambda x: x[0])
            lead = DialLead(
                row.id,
                tuple(phone for _, phone in owned),
                state=row.state,
                name=row.name,
                customer_id=_customer(row),
            )
            state = states.get(row.id)
            if row.status == SETTLED:
                lead.final, lead.reason = True, SETTLED
            elif state is not None and state.status == "final" and row.status == NEW:
                lead.last_abandoned_at = _aware(state.last_abandoned_at)  # reopened
            elif state is not None:
                lead.attempts = Counter({Result(k): int(v) for k, v in state.attempts.items()})
                lead.final, lead.reason = state.status == "final", state.reason
                lead.not_before, lead.next_phone = _aware(state.not_before), state.next_phone
                lead.last_abandoned_at = _aware(state.last_abandoned_at)
            out.append(lead)
        return out

    async def record(
        self, campaign_id: str, done: Sequence[tuple[Outcome, DialLead]], now: datetime
    ) -> None:
        """Store finished attempts and the new dial state of their leads, atomically."""
        if not done:
            return
        attempt_rows = []
        state_rows: dict[int, dict[str, Any]] = {}
        finished: dict[str, list[int]] = {RETRY: [], DONE: []}
        for outcome, lead in done:
            a = outcome.attempt
            attempt_rows.append(
                {
                    "attempt": a.attempt_id,
                    "campaign": campaign_id,
                    "lead_id": a.lead_id,
                    "number": a.number,
                    "presented": a.presented,
                    "dialled_at": a.dialled_at,
                    "answered_at": a.answered_at,
                    "ended_at": now,
                    "result": outcome.result.value,
                    "amd_status": a.amd_status,
                    "amd_cause": a.amd_cause[:64],
                    "short_call": outcome.short_call,
                }
            )
            state_rows[lead.lead_id] = {
                "campaign": campaign_id,
                "lead_id": lead.lead_id,
                "status": "final" if lead.final else "retry",
                "reason": lead.reason[:32],
                "attempts": {k.value: v for k, v in lead.attempts.items()},
                "next_phone": lead.next_phone,
                "not_before": lead.not_before,
                "last_abandoned_at": lead.last_abandoned_at,
                "updated_at": now,
            }
        for lead_id, row in state_rows.items():
            finished[DONE if row["status"] == "final" else RETRY].append(lead_id)
        async with self._engine.begin() as conn:
            await conn.execute(dial_attempts.insert(), attempt_rows)
            await conn.execute(
                dial_state.delete().where(
                    dial_state.c.campaign == campaign_id,
                    dial_state.c.lead_id.in_(list(state_rows)),
                )
            )
            await conn.execute(dial_state.insert(), list(state_rows.values()))
            for status, ids in finished.items():
                if ids:  # a lead settled meanwhile stays settled
                    await conn.execute(
                        leads.update()
                        .where(leads.c.id.in_(ids), leads.c.status != SETTLED)
                        .values(status=status)
                    )

    async def attempts(self, campaign_id: str) -> list[dict[str, Any]]:
        """The campaign's finished attempts, oldest first."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                sa.select(dial_attempts)
                .where(dial_attempts.c.campaign == campaign_id)
                .order_by(dial_attempts.c.id)
            )
            return [dict(r._mapping) for r in rows]

    async def states(self, campaign_id: str) -> dict[int, dict[str, Any]]:
        """The dial state of every lead the campaign dialled."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                sa.select(dial_state).where(dial_state.c.campaign == campaign_id)
            )
            return {r.lead_id: dict(r._mapping) for r in rows}


async def campaign_leads(
    engine: AsyncEngine,
    campaign_id: str,
    list_ids: Sequence[int],
    *,
    status: str | None = None,
    after: int = 0,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """The leads of a campaign's lists in id order (``after`` the id given), each with its
    status and what the campaign's dialer left of it: last reason, attempts by result, when
    it may be dialled again."""
    state = dial_state.alias("s")
    query = (
        sa.select(
            leads.c.id, leads.c.list_id, leads.c.name, leads.c.state, leads.c.status,
            state.c.reason, state.c.attempts, state.c.not_before, state.c.updated_at,
        )
        .select_from(
            leads.outerjoin(
                state, sa.and_(state.c.lead_id == leads.c.id, state.c.campaign == campaign_id)
            )
        )
        .where(leads.c.list_id.in_(list(list_ids)), leads.c.id > after)
        .order_by(leads.c.id)
        .limit(limit)
    )  # fmt: skip
    if status is not None:
        query = query.where(leads.c.status == status)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [
        {
            "id": r.id,
            "list_id": r.list_id,
            "name": r.name,
            "state": r.state,
            "status": r.status,
            "reason": r.reason or r.status,
            "attempts": dict(r.attempts or {}),
            "next_try": _aware(r.not_before) if r.status == RETRY else None,
            "updated_at": _aware(r.updated_at),
        }
        for r in rows
    ]

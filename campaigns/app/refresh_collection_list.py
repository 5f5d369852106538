"""Use case: build or refresh a telecobrança list from the ERP's overdue receivables.

Run it again whenever the ERP's change feed shows payments (or once a day): customers who
paid leave the list (``settled``), new debtors join, and a customer whose promise was broken
comes back the day after the promised date (the ERP lists his titles again from that day,
flagged ``broken_promise``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

import structlog

from campaigns.domain.collection_rules import SelectionRules, select_debtors
from campaigns.domain.leads import Lead
from campaigns.domain.phones import Phone, PhoneProblem, normalise_phone
from campaigns.port import CollectionSource, CollectionSync, ListStore

log = structlog.get_logger("campaigns.collection")


async def refresh_collection_list(
    erp: CollectionSource,
    lists: ListStore,
    list_name: str,
    rules: SelectionRules,
    *,
    campaign: str | None,
    clock: Callable[[], datetime],
    region: str = "BR",
) -> CollectionSync:
    """Select the debtors and make the list's leads match them; returns what changed."""
    items = await erp.overdue_titles(min_days=rules.min_days)
    customers = sorted({(i.customer_code, i.customer_store) for i in items})
    positions = {key: await erp.customer_position(*key) for key in customers}
    risks = {key: pos.risk for key, pos in positions.items()}
    debtors = select_debtors(items, risks, rules)
    leads = []
    no_phone = 0
    for line, debtor in enumerate(debtors, start=1):
        pos = positions[(debtor.code, debtor.store)]
        found: list[Phone] = []
        for raw in pos.phones:
            try:
                phone = normalise_phone(raw, region)
            except PhoneProblem:
                continue
            if phone.number not in {p.number for p in found}:
                found.append(phone)
        if not found:
            no_phone += 1
            continue
        custom = {
            "customer_code": debtor.code, "customer_store": debtor.store,
            "bracket": debtor.bracket, "days_late": str(debtor.days_late),
            "amount": f"{debtor.amount:.2f}", "interest": f"{debtor.interest:.2f}",
            "titles": " ".join(debtor.titles), "risk": pos.risk,
            "broken_promise": "yes" if debtor.broken_promise else "no",
        }  # fmt: skip
        leads.append(
            Lead(
                line, debtor.key, tuple(found), external_id=f"{debtor.code}/{debtor.store}",
                name=pos.name, tax_id=pos.tax_id, custom=custom,
            )
        )  # fmt: skip
    dial_list = await lists.ensure_list(list_name, campaign, clock())
    result = replace(await lists.sync_collection(dial_list, leads, clock()), no_phone=no_phone)
    log.info(
        "collection_list_refreshed", list=list_name, debtors=len(debtors), no_phone=no_phone,
        added=result.added, kept=result.kept, reopened=result.reopened, settled=result.settled,
    )  # fmt: skip
    return result

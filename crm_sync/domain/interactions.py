"""This contact center's calls with a customer, as stored for the customer view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crm_sync.domain.errors import CrmError
from crm_sync.domain.view import InteractionLine


@dataclass(frozen=True)
class Interaction:
    """One call: who handled it, in which queue, when, its disposition and outcome reference
    (the outbox outcome id, a sales order or promise number)."""

    call_id: str
    customer_code: str
    customer_store: str
    agent: str
    queue: str
    started_at: datetime
    ended_at: datetime | None = None
    disposition: str = ""
    outcome_ref: str = ""

    def line(self) -> InteractionLine:
        """The interaction as the view shows it."""
        return InteractionLine(
            call_id=self.call_id,
            agent=self.agent,
            queue=self.queue,
            started_at=self.started_at,
            ended_at=self.ended_at,
            disposition=self.disposition,
            outcome_ref=self.outcome_ref,
        )


def check_interaction(item: Interaction) -> None:
    """Call id, customer and agent given; an end not before the start
    (``interaction_invalid``)."""
    for name in ("call_id", "customer_code", "customer_store", "agent"):
        if not getattr(item, name):
            raise CrmError("interaction_invalid", f"{name} is required")
    if item.started_at.tzinfo is None:
        raise CrmError("interaction_invalid", "started_at needs a time zone")
    if item.ended_at is not None and item.ended_at < item.started_at:
        raise CrmError("interaction_invalid", "ended_at is before started_at")

"""Recording and listing this contact center's calls with a customer. Recording one
invalidates the customer's view (the engine's own outcome is shown at the next read)."""

from __future__ import annotations

from crm_sync.app.customer_views import CustomerViews
from crm_sync.domain.interactions import Interaction, check_interaction


async def record_interaction(views: CustomerViews, item: Interaction) -> None:
    """Store the call (insert or replace by call id) and refresh the customer's view;
    ``interaction_invalid`` for a call without id, customer or agent, or ending before it
    started."""
    check_interaction(item)
    await views.interactions.record(item)
    await views.invalidate(item.customer_code, item.customer_store)


async def list_interactions(
    views: CustomerViews, code: str, store: str, limit: int = 10
) -> list[Interaction]:
    """The customer's last calls, newest first."""
    return await views.interactions.for_customer(code, store, max(1, min(limit, 100)))

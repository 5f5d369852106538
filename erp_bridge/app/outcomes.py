"""Supervisor: outcomes by status or call, and retrying dead ones."""

from __future__ import annotations

from erp_bridge.outbox.supervision import OutcomeView, list_outcomes, retry_outcome

__all__ = ["OutcomeView", "list_outcomes", "retry_outcome"]

"""Errors of campaigns: a stable ``code`` and a message for people."""

from __future__ import annotations


class CampaignError(Exception):
    """A refused request; ``code`` is stable (for the API and the CLI)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

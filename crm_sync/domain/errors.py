"""Errors of the customer view with stable codes (``interaction_invalid``, ``call_unknown``)."""

from __future__ import annotations


class CrmError(Exception):
    """A request the customer view refuses; ``code`` is stable, ``message`` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

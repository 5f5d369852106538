"""What the IVR tells the rest of the engine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ivr.menu import Reason


@dataclass(frozen=True)
class CallerRouted:
    """A caller finished the menu and waits on hold for an agent of ``queue``.

    ``linkedid`` is None when only the AGI environment is known (it carries no linkedid);
    the ACD correlates by ``uniqueid`` with what AMI reports. ``tax_id`` holds the digits of
    a CPF/CNPJ the caller typed when the menu asked for one (``""``: none, unchecked).
    """

    uniqueid: str
    channel: str
    caller: str | None
    caller_name: str | None
    queue: str
    digits: str
    reason: Reason
    at: datetime
    linkedid: str | None = None
    tax_id: str = ""


CallerRoutedPort = Callable[[CallerRouted], None]
"""Where decisions go: the composition root passes e.g. ``asyncio.Queue.put_nowait``."""


@dataclass(frozen=True)
class CallbackAccepted:
    """A waiting caller pressed the key that accepts a queued callback at ``number``."""

    uniqueid: str
    channel: str
    number: str
    at: datetime


CallbackAcceptedPort = Callable[[CallbackAccepted], None]
"""Where accepted callbacks go (the composition root hands them to the ACD)."""

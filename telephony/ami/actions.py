"""Writing actions and reading their answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from telephony.ami.message import AmiMessage

ActionFields = Mapping[str, str | int | Sequence[str]]


def encode_action(action: ActionFields) -> bytes:
    """``Action: Name`` first, then each field (a list repeats its key), then a blank line.

    A value holding CR or LF would inject headers: it is refused with :class:`ValueError`.
    """
    if "Action" not in action:
        raise ValueError("an AMI action needs an 'Action' field")
    lines = [f"Action: {action['Action']}"]
    for key, value in action.items():
        if key == "Action":
            continue
        values = [value] if isinstance(value, str | int) else list(value)
        for item in values:
            text = str(item)
            if "\r" in text or "\n" in text or "\r" in key or "\n" in key:
                raise ValueError(f"AMI field {key!r} holds a line break")
            lines.append(f"{key}: {text}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@dataclass(slots=True)
class ActionResult:
    """Asterisk's answer to one action.

    ``events`` holds the items of an event list (``CoreShowChannel``, ``Status``...), without its
    closing ``...Complete`` event (``complete``); ``final_event`` is the event the action waited for
    (``OriginateResponse`` of an async Originate).
    """

    response: AmiMessage
    events: list[AmiMessage] = field(default_factory=list)
    complete: AmiMessage | None = None
    final_event: AmiMessage | None = None

    @property
    def ok(self) -> bool:
        """True when Asterisk answered Success (and the awaited event, if any, says Success)."""
        if not self.response.ok:
            return False
        if self.final_event is not None:
            return self.final_event.get("Response", "Success") == "Success"
        return True

    @property
    def message(self) -> str:
        """Asterisk's ``Message`` text."""
        return self.response.get("Message", "")

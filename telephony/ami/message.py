"""The AMI message type: a plain ``dict[str, str]`` that remembers repeated keys.

Asterisk sends each header as ``Key: value``. A few messages repeat a key (``Variable:`` lines
of ``Status`` with ``Variables``, ``ChanVariable`` lines of older versions, ``Output`` lines of
``Command``): the dict keeps the last value and :meth:`AmiMessage.getlist` returns all of them.
Keys keep the case Asterisk sends (``Uniqueid``, ``Linkedid``, ``DestChannel``...).
"""

from __future__ import annotations

from typing import Final

_VARIABLE_KEYS: Final = ("Variable", "ChanVariable")


class AmiMessage(dict[str, str]):
    """One AMI event or response."""

    #: repeated keys and all their values; ``None`` (class default) when no key repeats
    multi: dict[str, list[str]] | None = None

    @property
    def name(self) -> str:
        """The event name, or ``""`` for a response."""
        return self.get("Event", "")

    @property
    def is_event(self) -> bool:
        """True for an event (``Event:`` header)."""
        return "Event" in self

    @property
    def is_response(self) -> bool:
        """True for an action's response (``Response:`` header)."""
        return "Response" in self

    @property
    def action_id(self) -> str | None:
        """The ``ActionID`` the message answers, if any."""
        return self.get("ActionID")

    @property
    def ok(self) -> bool:
        """True unless this is an ``Error``/``Failure`` response."""
        return self.get("Response", "Success") in ("Success", "Follows", "Goodbye")

    def getlist(self, key: str) -> list[str]:
        """Every value sent for ``key``, in order (``[]`` when absent)."""
        if self.multi is not None and key in self.multi:
            return list(self.multi[key])
        value = self.get(key)
        return [] if value is None else [value]

    def variables(self) -> dict[str, str]:
        """Channel variables carried as ``Variable: NAME=value`` or ``ChanVariable...`` lines.

        ``ChanVariable(Local/x;1): NAME=value`` (older Asterisk) is read as well.
        """
        out: dict[str, str] = {}
        keys = [k for k in self if k.startswith(_VARIABLE_KEYS)]
        for key in keys:
            for item in self.getlist(key):
                name, sep, value = item.partition("=")
                if sep:
                    out[name] = value
        return out

    def __repr__(self) -> str:
        return f"AmiMessage({dict.__repr__(self)})"

"""AMI users as ``manager.conf`` declares them: secret, privileges and event filters.

Asterisk 22's advanced filters look like
``eventfilter(action(exclude),name(VarSet),header(Variable),method(starts_with)) = RINGTIME``;
an event matching any exclude filter never reaches that user's connection. The twin applies
the same filters so the engine's user sees on the twin what it would see on Asterisk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from telephony.twin.wire import Message, get

_FILTER_KEY = re.compile(r"^eventfilter\((?P<criteria>.*)\)$")
_CRITERION = re.compile(r"(action|name|header|method)\(([^)]*)\)")


@dataclass(frozen=True)
class EventFilter:
    """One ``eventfilter(...)`` line (only the criteria Asterisk 22 documents)."""

    action: str = "include"
    name: str = ""
    header: str = ""
    method: str = "none"
    match: str = ""

    def matches(self, message: Message) -> bool:
        """True when the event meets every criterion of the filter."""
        if self.name and get(message, "Event") != self.name:
            return False
        if not self.header:
            return True
        value = next((v for k, v in message if k.lower() == self.header.lower()), None)
        if value is None:
            return False
        if self.method == "starts_with":
            return value.startswith(self.match)
        if self.method == "ends_with":
            return value.endswith(self.match)
        if self.method == "regex":
            return re.search(self.match, value) is not None
        return not self.match or value == self.match


def parse_filter(key: str, value: str) -> EventFilter:
    """An ``eventfilter(...) = value`` line; ValueError when it is not one."""
    found = _FILTER_KEY.match(key.strip())
    if found is None:
        raise ValueError(f"not an eventfilter(...) line: {key!r}")
    criteria = dict(_CRITERION.findall(found["criteria"]))
    return EventFilter(
        action=criteria.get("action", "include"),
        name=criteria.get("name", ""),
        header=criteria.get("header", ""),
        method=criteria.get("method", "none"),
        match=value.strip(),
    )


def excluded(filters: tuple[EventFilter, ...], message: Message) -> bool:
    """Asterisk's rule: an event is dropped when an exclude filter matches it, or when the
    user has include filters and none matches."""
    if any(f.action == "exclude" and f.matches(message) for f in filters):
        return True
    includes = [f for f in filters if f.action != "exclude"]
    return bool(includes) and not any(f.matches(message) for f in includes)


@dataclass(frozen=True)
class ManagerUser:
    """One user section of ``manager.conf``."""

    name: str
    secret: str
    read: str
    write: str
    filters: tuple[EventFilter, ...]


def read_manager_conf(path: str | Path) -> dict[str, ManagerUser]:
    """The user sections of a ``manager.conf`` (``[general]`` is skipped)."""
    users: dict[str, ManagerUser] = {}
    section = ""
    fields: dict[str, str] = {}
    filters: list[EventFilter] = []

    def close() -> None:
        if section and section != "general":
            users[section] = ManagerUser(
                section,
                fields.get("secret", ""),
                fields.get("read", ""),
                fields.get("write", ""),
                tuple(filters),
            )

    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        line = raw.split(";", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            close()
            section, fields, filters = line[1:-1].strip(), {}, []
            continue
        key, _, value = line.partition("=")
        if key.strip().startswith("eventfilter"):
            filters.append(parse_filter(key, value))
        else:
            fields[key.strip().lower()] = value.strip()
    close()
    return users

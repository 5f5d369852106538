"""AMI users as ``manager.conf`` declares them: secret, privileges and event filters.

Asterisk 22's advanced filters look like
``eventfilter(action(exclude),name(VarSet),header(Variable),method(starts_with)) = RINGTIME``;
legacy ones like ``eventfilter = !Event: Newexten`` (a regex on the whole event, ``!``
excludes). A user's filters are copied into each of its sessions at login; the ``Filter``
action adds more to one session. Asterisk's rule, applied before an event is written to a
session: no filter lets everything through; only exclude filters drop what any of them
matches; include filters let through only what one of them matches, less what an exclude
filter matches. The twin applies the same rules so a user sees on the twin what it would see
on Asterisk.

Matching as Asterisk does it: ``name`` is the event's name, compared exactly; ``header`` is
the start of a line (``Variable`` means lines beginning ``Variable:``, case-sensitive), its
value taken after the colon and blanks, an empty value never matching, any of the event's
lines with that header may match; without ``header`` the pattern is tried on the whole event
as written to the socket. Methods: ``regex`` (searched, not anchored; Python's ``re`` stands
for POSIX extended regexes), ``exact``, ``starts_with``, ``ends_with``, ``contains``, ``none``
(no pattern: the name/header alone decide).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from telephony.twin.wire import Message, encode

_METHODS = frozenset({"regex", "exact", "starts_with", "ends_with", "contains", "none"})


class FilterError(ValueError):
    """A filter Asterisk refuses (``format``: badly formed; ``compile``: bad regex)."""

    def __init__(self, kind: str, text: str) -> None:
        super().__init__(text)
        self.kind = kind


@dataclass(frozen=True)
class EventFilter:
    """One event filter (an ``eventfilter`` line or a ``Filter`` action)."""

    action: str = "include"
    name: str = ""
    header: str = ""
    method: str = "none"
    match: str = ""
    _regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def matches(self, message: Message) -> bool:
        """True when the event meets every criterion of the filter."""
        if self.name and _event_name(message) != self.name:
            return False
        if not self.header:
            return self._value_matches(encode(message).decode("utf-8", "replace"))
        prefix = self.header if self.header.endswith(":") else self.header + ":"
        for key, value in message:
            line = f"{key}: {value}"
            if not line.startswith(prefix):
                continue
            rest = line[len(prefix) :].lstrip(" \t")
            if rest and self._value_matches(rest):
                return True
        return False

    def _value_matches(self, data: str) -> bool:
        method, pattern = self.method, self.match
        if method == "regex":
            return self._regex is not None and self._regex.search(data) is not None
        if method == "starts_with":
            return data.startswith(pattern)
        if method == "ends_with":
            return data.endswith(pattern)
        if method == "contains":
            return pattern in data
        if method == "exact":
            return data == pattern
        return True  # none


def _event_name(message: Message) -> str:
    for key, value in message:
        if key == "Event":
            return value
    return ""


def make_filter(criteria: str, pattern: str) -> EventFilter:
    """A filter from ``eventfilter[(criteria...)]`` and its pattern, checked as Asterisk
    checks it; :class:`FilterError` when Asterisk would refuse it."""
    exclude = pattern.startswith("!")
    if exclude:
        pattern = pattern[1:]
    start = criteria.find("(")
    if start < 0:  # legacy: a regex on the whole event
        if criteria.strip() != "eventfilter":
            raise FilterError("format", f"not an eventfilter line: {criteria!r}")
        if not pattern:
            raise FilterError("format", "legacy filter with no pattern")
        action = "exclude" if exclude else "include"
        return _compiled(EventFilter(action, method="regex", match=pattern))
    if criteria[:start].strip() != "eventfilter":
        raise FilterError("format", f"not an eventfilter line: {criteria!r}")
    options = criteria[start + 1 :].strip()
    if not options or not options.endswith(")"):
        raise FilterError("format", f"filter options not formatted correctly: {criteria!r}")
    action = "exclude" if exclude else "include"
    name = header = ""
    method = "none"
    found = False
    for option in (o for o in re.split(r"[ ,)]+", options) if o):
        key, paren, value = option.partition("(")
        value = value.strip()
        if key.startswith("action"):
            if value not in ("include", "exclude"):
                raise FilterError("format", f"'action' option {value!r} is unknown")
            action = value
        elif key.startswith("name") and paren and value:
            name = value
        elif key.startswith("header") and paren and value:
            header = value
        elif key.startswith("method") and paren and value:
            if value not in _METHODS:
                raise FilterError("format", f"'method' option {value!r} is unknown")
            method = value
        else:
            raise FilterError("format", f"filter option {option!r} is unknown or empty")
        found = True
    if not found:
        raise FilterError("format", "no action, name, header or method option")
    if not pattern and method != "none":
        raise FilterError("format", f"method can't be {method!r} with no filter pattern")
    if pattern and method == "none":
        raise FilterError("format", "method can't be 'none' with a filter pattern")
    if not name and not header and method == "none":
        raise FilterError("format", "no name or header option and no filter pattern")
    return _compiled(EventFilter(action, name, header, method, pattern))


def _compiled(f: EventFilter) -> EventFilter:
    if f.method != "regex" or not f.match:
        return f
    try:
        regex = re.compile(f.match)
    except re.error as exc:
        raise FilterError("compile", f"regex {f.match!r} did not compile: {exc}") from exc
    return EventFilter(f.action, f.name, f.header, f.method, f.match, regex)


def parse_filter(key: str, value: str) -> EventFilter:
    """An ``eventfilter... = value`` line of ``manager.conf``; ValueError when Asterisk would
    refuse it."""
    return make_filter(key.strip(), value.strip())


def excluded(filters: tuple[EventFilter, ...], message: Message) -> bool:
    """Asterisk's rule: with exclude filters only, an event is dropped when one matches;
    with include filters, it is kept only when one of them matches and no exclude filter
    does."""
    includes = [f for f in filters if f.action != "exclude"]
    if includes and not any(f.matches(message) for f in includes):
        return True
    return any(f.action == "exclude" and f.matches(message) for f in filters)


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

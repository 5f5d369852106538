"""The floor's state and its changes (pure).

A floor is sections of rows keyed by id (``{"agents": {"2001": {...}}, "queues": ...}``); the
changes from one floor to the next are the rows added or changed and the keys removed, per
section. Rows hold times as epochs, never durations, so an idle floor has no changes.
"""

from __future__ import annotations

from typing import Any

Floor = dict[str, dict[str, Any]]
Changes = dict[str, dict[str, Any]]


def changes(before: Floor, after: Floor) -> Changes | None:
    """``{"upsert": {section: {key: row}}, "remove": {section: [key, ...]}}`` turning
    ``before`` into ``after``; None when they are equal."""
    upsert: dict[str, dict[str, Any]] = {}
    remove: dict[str, list[str]] = {}
    for section, rows in after.items():
        old = before.get(section, {})
        changed = {key: row for key, row in rows.items() if old.get(key) != row}
        gone = [key for key in old if key not in rows]
        if changed:
            upsert[section] = changed
        if gone:
            remove[section] = gone
    for section in before.keys() - after.keys():
        if before[section]:
            remove[section] = list(before[section])
    if not upsert and not remove:
        return None
    return {"upsert": upsert, "remove": remove}


def apply(floor: Floor, change: Changes) -> Floor:
    """``floor`` with ``change`` applied, empty sections left out (what a page does)."""
    out = {section: dict(rows) for section, rows in floor.items()}
    for section, rows in change["upsert"].items():
        out.setdefault(section, {}).update(rows)
    for section, keys in change["remove"].items():
        for key in keys:
            out.get(section, {}).pop(key, None)
    return {section: rows for section, rows in out.items() if rows}

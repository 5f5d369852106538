"""Duplicates and do-not-call screening of a batch of validated rows (pure).

The caller looks up, for the batch, which lead keys and phones the list's scope (the campaign,
or the list itself when it has no campaign) already holds and which phones are on a do-not-call
register; this module decides, row by row, in file order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, replace

from campaigns.domain.leads import Lead, Problem, RowResult


@dataclass(frozen=True)
class Screened:
    """Leads to load and every problem of the batch, in file order."""

    leads: list[Lead]
    problems: list[Problem]
    rejected_rows: int


def screen(
    rows: Iterable[RowResult],
    known_keys: Set[str],
    known_phones: Set[str],
    do_not_call: Mapping[str, str],
) -> Screened:
    """Drop duplicate leads and phones (against the scope and earlier rows of the batch) and
    phones on a do-not-call register (``{number: register}``); a lead left with no phone is
    rejected."""
    keys = set(known_keys)
    phones_seen = set(known_phones)
    leads: list[Lead] = []
    problems: list[Problem] = []
    rejected = 0
    for row in rows:
        lead = row.lead
        if lead is None:
            problems.extend(row.problems)
            rejected += 1
            continue
        if lead.key in keys:
            problems.extend(_unloaded(row.problems))
            problems.append(
                Problem(
                    lead.line,
                    "tax_id" if lead.tax_id else "phone",
                    "duplicate",
                    "this lead is already in the list or campaign",
                    lead.key,
                )
            )
            rejected += 1
            continue
        kept = []
        row_problems: list[Problem] = []
        for phone in lead.phones:
            number = phone.number
            register = do_not_call.get(number)
            if register is not None:
                row_problems.append(
                    Problem(lead.line, "phone", "do_not_call", f"on register {register}",
                            number, True)
                )  # fmt: skip
            elif number in phones_seen:
                row_problems.append(
                    Problem(lead.line, "phone", "duplicate_phone",
                            "phone already belongs to another lead", number, True)
                )  # fmt: skip
            else:
                kept.append(phone)
                phones_seen.add(number)  # nothing is added when no phone is kept
        if not kept:
            problems.extend(_unloaded(row.problems))
            problems.extend(_unloaded(row_problems))
            problems.append(
                Problem(lead.line, "phone", "no_phone_left",
                        "every phone is on a do-not-call register or taken", lead.key)
            )  # fmt: skip
            rejected += 1
            continue
        keys.add(lead.key)
        leads.append(replace(lead, phones=tuple(kept)) if len(kept) < len(lead.phones) else lead)
        problems.extend(row.problems)
        problems.extend(row_problems)
    return Screened(leads, problems, rejected)


def _unloaded(problems: Iterable[Problem]) -> list[Problem]:
    return [replace(p, loaded=False) for p in problems]

"""Leads of a dialer list: column mapping and the validation of one row (pure).

A row becomes a :class:`Lead` or is rejected; every problem is a :class:`Problem` with the
row's line number, the field and a stable reason code. Problems on a loaded row (one bad phone
of three, an invalid e-mail) are reported too, with ``loaded=True``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from campaigns.domain.cells import FORMULA_START, MAX_CELL_CHARS, clean, neutralise
from campaigns.domain.errors import CampaignError
from campaigns.domain.phones import Phone, PhoneProblem, normalise_phone
from erp_bridge.domain.errors import TaxIdError
from erp_bridge.domain.taxid import normalize_tax_id

LEAD_FIELDS = ("external_id", "name", "tax_id", "phone", "email", "state", "city")
"""Fields a column can be mapped to; ``custom:<name>`` keeps any other column; ``-`` ignores."""

MAX_PHONES = 10
MAX_CUSTOM_FIELDS = 50

_SYNONYMS = {
    "external_id": ("id", "codigo", "cod", "code", "external_id", "id_externo", "matricula"),
    "name": ("nome", "name", "cliente", "razao_social", "nome_completo", "full_name"),
    "tax_id": ("cpf", "cnpj", "cpf_cnpj", "documento", "doc", "tax_id"),
    "phone": (
        "telefone", "fone", "celular", "phone", "tel", "whatsapp", "mobile", "telefone_1",
        "telefone_2", "telefone_3", "telefone1", "telefone2", "telefone3", "phone1", "phone2",
        "phone3", "celular2", "fixo", "telefone_fixo", "telefone_residencial",
        "telefone_comercial",
    ),
    "email": ("email", "e_mail", "correio"),
    "state": ("uf", "estado", "state"),
    "city": ("cidade", "municipio", "city"),
}  # fmt: skip
_BY_HEADER = {alias: target for target, aliases in _SYNONYMS.items() for alias in aliases}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_UF = re.compile(r"[A-Z]{2}")
_SEPARATORS = re.compile(r"[;,/|]")
_FORMULA_FIRST = frozenset("".join(FORMULA_START))


def header_key(text: str) -> str:
    """Header compared without accents, case or punctuation (``Telefone 1`` = ``telefone_1``)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")


_PHONE, _CUSTOM, _TEXT, _FIELD = 0, 1, 2, 3
_SHOWN_AS_TEXT = ("external_id", "name", "city")  # kept as typed, formulas neutralised


def _kind(target: str) -> int:
    if target == "phone":
        return _PHONE
    if target.startswith("custom:"):
        return _CUSTOM
    return _TEXT if target in _SHOWN_AS_TEXT else _FIELD


@dataclass(frozen=True)
class ColumnMap:
    """What each column of the file feeds: a lead field, ``custom:<name>`` or ``None``."""

    header: tuple[str, ...]
    targets: tuple[str | None, ...]

    @cached_property
    def used(self) -> tuple[tuple[int, str, str], ...]:
        """``(index, target, name)`` of every column that feeds something."""
        return tuple(
            (index, target, self.header[index] or f"column_{index + 1}")
            for index, target in enumerate(self.targets)
            if target is not None
        )

    @cached_property
    def plan(self) -> tuple[tuple[int, int, str, str], ...]:
        """``(index, kind, key, name)`` of every used column, for :func:`validate_row`: kind
        ``_PHONE``, ``_CUSTOM`` (key: the custom field), ``_TEXT`` (a lead field shown as
        typed, formulas neutralised) or ``_FIELD`` (another lead field)."""
        return tuple(
            (index, _kind(target), target[7:] if _kind(target) == _CUSTOM else target, name)
            for index, target, name in self.used
        )

    @property
    def phone_columns(self) -> int:
        """How many columns carry phones."""
        return sum(1 for t in self.targets if t == "phone")


def map_columns(header: Sequence[str], overrides: Mapping[str, str] | None = None) -> ColumnMap:
    """Columns mapped by their header (Portuguese and English names known), then ``overrides``
    (``{"Col": "field"}``, ``custom:x`` or ``-``); any other column becomes a custom field.

    Raises ``CampaignError`` (``mapping_invalid``) for an unknown column or field, and
    (``no_phone_column``) when no column carries phones.
    """
    names = [clean(h) for h in header]
    by_key = {header_key(n): i for i, n in enumerate(names)}
    targets: list[str | None] = []
    for i, name in enumerate(names):
        key = header_key(name) or f"column_{i + 1}"
        targets.append(_BY_HEADER.get(key, f"custom:{key}"))
    for column, target in (overrides or {}).items():
        index = by_key.get(header_key(column))
        if index is None:
            raise CampaignError("mapping_invalid", f"no column {column!r} in the file header")
        if target == "-":
            targets[index] = None
        elif target in LEAD_FIELDS or (target.startswith("custom:") and len(target) > 7):
            targets[index] = target
        else:
            raise CampaignError(
                "mapping_invalid",
                f"{target!r} is not a lead field ({', '.join(LEAD_FIELDS)}, custom:NAME or -)",
            )
    single = [t for t in targets if t is not None and t != "phone"]
    doubled = sorted({t for t in single if single.count(t) > 1})
    if doubled:
        raise CampaignError("mapping_invalid", f"several columns feed {', '.join(doubled)}")
    if "phone" not in targets:
        raise CampaignError("no_phone_column", "no column is mapped to phone")
    if sum(1 for t in targets if t and t.startswith("custom:")) > MAX_CUSTOM_FIELDS:
        raise CampaignError("mapping_invalid", f"more than {MAX_CUSTOM_FIELDS} custom fields")
    return ColumnMap(tuple(names), tuple(targets))


@dataclass(frozen=True)
class Problem:
    """One rejected row or field: line in the file, field, reason code, message, value."""

    line: int
    field: str
    reason: str
    message: str
    value: str = ""
    loaded: bool = False


@dataclass(slots=True)
class Lead:
    """A valid lead: key for duplicates (tax id, else first phone), phones in E.164.

    Not frozen (a frozen dataclass pays ``object.__setattr__`` per field, 2 s of a
    1,000,000-row upload); treat it as a value and change it with ``dataclasses.replace``."""

    line: int
    key: str
    phones: tuple[Phone, ...]
    external_id: str = ""
    name: str = ""
    tax_id: str = ""
    email: str = ""
    state: str = ""
    city: str = ""
    custom: dict[str, str] = field(default_factory=dict)

    @property
    def timezone(self) -> str:
        """The first zone of the first phone (``""`` when unknown)."""
        return self.phones[0].zones[0] if self.phones and self.phones[0].zones else ""


@dataclass(frozen=True)
class RowResult:
    """The lead of a row (``None`` when rejected) and the problems found."""

    lead: Lead | None
    problems: tuple[Problem, ...]


def _short(value: str) -> str:
    return neutralise(value[:80] + ("..." if len(value) > 80 else ""))


def validate_row(
    line: int, cells: Sequence[object], columns: ColumnMap, region: str = "BR"
) -> RowResult:
    """Validate one row: phones (several per lead), tax id, e-mail, state, cell sizes."""
    values: dict[str, str] = {}
    phones_raw: list[tuple[str, str]] = []
    custom: dict[str, str] = {}
    problems: list[Problem] = []
    width = len(cells)
    for index, kind, key, name in columns.plan:
        if index < width:
            cell = cells[index]
            text = cell.strip() if type(cell) is str else clean(cell)
            if not text:
                continue
            if len(text) > MAX_CELL_CHARS:
                reason = f"{len(text)} characters; at most {MAX_CELL_CHARS} per cell"
                return _rejected(Problem(line, name, "cell_too_large", reason, _short(text)))
        else:
            continue
        if kind == _PHONE:
            if _SEPARATORS.search(text):
                phones_raw.extend((name, p) for p in _SEPARATORS.split(text) if p.strip())
            else:
                phones_raw.append((name, text))
        else:
            if kind != _FIELD and text[0] in _FORMULA_FIRST:
                text = neutralise(text)
            if kind == _CUSTOM:
                custom[key] = text
            else:
                values[key] = text
    if width > len(columns.targets) and any(clean(c) for c in cells[len(columns.targets) :]):
        problems.append(
            Problem(line, "(row)", "extra_cells", "more cells than header columns", loaded=True)
        )
    tax_id = ""
    raw_tax_id = values.get("tax_id")
    if raw_tax_id:
        try:
            tax_id = normalize_tax_id(raw_tax_id)
        except TaxIdError as err:
            return _rejected(
                Problem(line, "tax_id", "tax_id_invalid", err.message, _short(raw_tax_id))
            )
    phones: list[Phone] = []
    numbers: list[str] = []
    for name, raw in phones_raw:
        try:
            phone = normalise_phone(raw.strip(), region)
        except PhoneProblem as err:
            problems.append(Problem(line, name, err.reason, str(err), _short(raw), loaded=True))
            continue
        if phone.number in numbers:
            continue
        if len(phones) == MAX_PHONES:
            problems.append(
                Problem(line, name, "too_many_phones", f"at most {MAX_PHONES}", loaded=True)
            )
            break
        phones.append(phone)
        numbers.append(phone.number)
    if not phones:
        bad = [p for p in problems if p.reason == "phone_invalid"]
        message = "no valid phone in the row" if bad else "the row has no phone"
        return RowResult(
            None,
            (*(_unload(p) for p in problems), Problem(line, "phone", "no_valid_phone", message)),
        )
    email = values.get("email", "")
    if email and not _EMAIL.fullmatch(email):
        problems.append(
            Problem(line, "email", "email_invalid", "not an e-mail address", _short(email), True)
        )
        email = ""
    state = values.get("state", "").upper()
    if state and not _UF.fullmatch(state):
        problems.append(Problem(line, "state", "state_invalid", "two letters", _short(state), True))
        state = ""
    lead = Lead(
        line=line,
        key=tax_id or phones[0].number,
        phones=tuple(phones),
        external_id=values.get("external_id", ""),
        name=values.get("name", ""),
        tax_id=tax_id,
        email=email,
        state=state,
        city=values.get("city", ""),
        custom=custom,
    )
    return RowResult(lead, tuple(problems))


def _unload(problem: Problem) -> Problem:
    return Problem(problem.line, problem.field, problem.reason, problem.message, problem.value)


def _rejected(problem: Problem) -> RowResult:
    return RowResult(None, (problem,))

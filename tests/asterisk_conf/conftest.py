"""Read the files of asterisk-conf/ with pyst2's Asterisk config parser (``asterisk.config``).

pyst2 0.5.1 knows ``[section]`` and ``name = value`` lines but not Asterisk's template
syntax ``[name](!)`` / ``[name](template,...)``: the loader below moves the part in
parentheses aside before pyst2 parses, then applies template inheritance as Asterisk does
(template items first, then the section's own).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import asterisk.config
import pytest

CONF_DIR = Path(__file__).resolve().parents[2] / "asterisk-conf"
_TEMPLATED = re.compile(r"^(\s*\[[^\]]+\])\s*\((?P<spec>[^)]*)\)\s*(?P<rest>;.*)?$")


class _TemplateAwareConfig(asterisk.config.Config):  # type: ignore[misc]
    def load(self) -> None:
        # pyst2's own load() leaves the file open; read it the same way, closed
        with open(self.filename) as handle:
            self.raw_lines = handle.readlines()
        self.template_specs: dict[int, str] = {}
        for index, line in enumerate(self.raw_lines):
            match = _TEMPLATED.match(line.rstrip("\n"))
            if match:
                self.template_specs[index + 1] = match["spec"]
                self.raw_lines[index] = match.group(1) + (match["rest"] or "") + "\n"


@dataclass
class Section:
    """One ``[name]`` block with its items (name, value) in file order, templates applied."""

    name: str
    items: list[tuple[str, str]]
    is_template: bool = False
    templates: tuple[str, ...] = ()
    line: int = 0

    def get(self, key: str) -> str | None:
        """The last value of ``key`` (what Asterisk keeps for single-valued options)."""
        values = self.all(key)
        return values[-1] if values else None

    def all(self, key: str) -> list[str]:
        """Every value of ``key`` in order (``allow``, ``eventfilter``...)."""
        return [v for k, v in self.items if k == key]


@dataclass
class ConfFile:
    """A parsed configuration file."""

    path: Path
    sections: list[Section] = field(default_factory=list)

    def objects(self, name: str | None = None, type_: str | None = None) -> list[Section]:
        """Non-template sections, by name and/or ``type =``."""
        return [
            s
            for s in self.sections
            if not s.is_template
            and (name is None or s.name == name)
            and (type_ is None or s.get("type") == type_)
        ]

    def one(self, name: str, type_: str | None = None) -> Section:
        """The single section ``name`` (of ``type_``); fails the test if not exactly one."""
        found = self.objects(name, type_)
        assert len(found) == 1, f"{self.path.name}: expected one [{name}] type={type_}"
        return found[0]


def load_conf(name: str) -> ConfFile:
    """Parse ``asterisk-conf/<name>`` with pyst2 and resolve templates."""
    config = _TemplateAwareConfig(str(CONF_DIR / name))
    raw: list[Section] = []
    for category in config.categories:
        spec = config.template_specs.get(category.number, "")
        parts = [p.strip() for p in spec.split(",") if p.strip()]
        raw.append(
            Section(
                name=category.name,
                items=[(item.name, item.value.strip()) for item in category.items],
                is_template="!" in parts,
                templates=tuple(p for p in parts if p != "!"),
                line=category.number,
            )
        )
    templates = {s.name: s for s in raw if s.is_template}

    def inherited(section: Section) -> list[tuple[str, str]]:
        items: list[tuple[str, str]] = []
        for base in section.templates:
            assert base in templates, f"{name}: [{section.name}] uses unknown template {base}"
            items += inherited(templates[base])
        return items + section.items

    conf = ConfFile(CONF_DIR / name)
    for section in raw:
        conf.sections.append(
            Section(
                section.name,
                inherited(section),
                section.is_template,
                section.templates,
                section.line,
            )
        )
    return conf


@dataclass(frozen=True)
class Step:
    """One dialplan priority: ``exten => pattern,priority(label),App(args)``."""

    priority: int
    label: str | None
    app: str
    args: str


Dialplan = dict[str, dict[str, list[Step]]]


def parse_dialplan(conf: ConfFile) -> tuple[Dialplan, dict[str, dict[str, str]]]:
    """Contexts → extensions → numbered steps, and hints per context."""
    plan: Dialplan = {}
    hints: dict[str, dict[str, str]] = {}
    for section in conf.sections:
        if section.name in ("general", "globals"):
            continue
        context = plan.setdefault(section.name, {})
        current: str | None = None
        last = 0
        for key, value in section.items:
            assert key in ("exten", "same", "include"), f"{section.name}: unexpected {key}"
            if key == "include":
                continue
            if key == "exten":
                current, prio, rest = value.split(",", 2)
            else:
                assert current is not None, f"[{section.name}] 'same' before any 'exten'"
                prio, rest = value.split(",", 1)
            if prio == "hint":
                hints.setdefault(section.name, {})[current] = rest
                continue
            label = None
            label_match = re.match(r"^(\w+)\((\w+)\)$", prio)
            if label_match:
                prio, label = label_match.group(1), label_match.group(2)
            number = last + 1 if prio == "n" else int(prio)
            last = number
            app, _, args = rest.partition("(")
            assert args.endswith(")"), f"[{section.name}] {value!r}: unbalanced"
            context.setdefault(current, []).append(Step(number, label, app.strip(), args[:-1]))
    return plan, hints


@pytest.fixture(scope="session")
def extensions() -> ConfFile:
    """extensions.conf, parsed."""
    return load_conf("extensions.conf")


@pytest.fixture(scope="session")
def dialplan(extensions: ConfFile) -> Dialplan:
    """The dialplan as contexts → extensions → steps."""
    return parse_dialplan(extensions)[0]


@pytest.fixture(scope="session")
def hints(extensions: ConfFile) -> dict[str, dict[str, str]]:
    """Hints per context."""
    return parse_dialplan(extensions)[1]


@pytest.fixture(scope="session")
def conf() -> object:
    """``conf("pjsip.conf")`` parses any file of asterisk-conf/."""
    return load_conf

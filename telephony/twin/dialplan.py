"""A small model of Asterisk's dialplan: contexts read from ``extensions.conf`` syntax.

Supports ``exten => pattern,priority,App(args)``, ``same => n,...``, ``[globals]``,
patterns (``_X.``, ``_NXX``, ``[1-5]``, ``.`` and ``!``) and ``${VAR}`` / ``${FUNC(arg)}``
substitution through a lookup callback.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Step:
    """One priority of an extension: the application and its raw argument."""

    priority: int
    app: str
    data: str


@dataclass
class Extension:
    """An extension (literal or pattern) in a context with its numbered steps."""

    pattern: str
    steps: dict[int, Step] = field(default_factory=dict)
    labels: dict[str, int] = field(default_factory=dict)

    def matches(self, exten: str) -> bool:
        """True when ``exten`` matches this extension as Asterisk would."""
        if not self.pattern.startswith("_"):
            return self.pattern == exten
        return _pattern_regex(self.pattern[1:]).fullmatch(exten) is not None


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i].upper()
        if ch == "X":
            out.append("[0-9]")
        elif ch == "Z":
            out.append("[1-9]")
        elif ch == "N":
            out.append("[2-9]")
        elif ch == ".":
            out.append(".+")
        elif ch == "!":
            out.append(".*")
        elif ch == "[":
            end = pattern.index("]", i)
            out.append("[" + pattern[i + 1 : end] + "]")
            i = end
        else:
            out.append(re.escape(pattern[i]))
        i += 1
    return re.compile("".join(out))


class DialplanError(ValueError):
    """A line of the dialplan file that cannot be understood (with its line number)."""


@dataclass
class Dialplan:
    """Contexts by name, each an ordered list of extensions; plus ``[globals]``."""

    contexts: dict[str, list[Extension]] = field(default_factory=dict)
    globals: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_file(cls, path: str | Path) -> Dialplan:
        """Read an ``extensions.conf``."""
        return cls.from_text(Path(path).read_text(encoding="utf-8"))

    @classmethod
    def from_text(cls, text: str) -> Dialplan:
        """Parse ``extensions.conf`` text."""
        plan = cls()
        context: str | None = None
        last: tuple[Extension, int] | None = None
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.split(";", 1)[0].strip()
            if not line:
                continue
            if line.startswith("[") and line.endswith("]"):
                context = line[1:-1].strip()
                last = None
                if context not in ("general", "globals"):
                    plan.contexts.setdefault(context, [])
                continue
            if context is None:
                raise DialplanError(f"line {number}: outside any [context]: {raw!r}")
            if context == "general":
                continue
            if context == "globals":
                name, _, value = line.partition("=")
                plan.globals[name.strip()] = value.strip()
                continue
            key, arrow, rest = line.partition("=>")
            if not arrow:
                raise DialplanError(f"line {number}: expected 'exten =>' or 'same =>': {raw!r}")
            key = key.strip().lower()
            if key == "exten":
                pattern, _, rest = rest.strip().partition(",")
                ext = plan._extension(context, pattern.strip())
            elif key == "same":
                if last is None:
                    raise DialplanError(f"line {number}: 'same' without an 'exten' before it")
                ext = last[0]
            else:
                raise DialplanError(f"line {number}: unknown key {key!r}")
            prio_text, _, app_text = rest.strip().partition(",")
            prio_text = prio_text.strip()
            if prio_text == "hint":
                continue  # device hints: no steps to run
            label = None
            if prio_text.endswith(")") and "(" in prio_text:
                prio_text, _, label = prio_text[:-1].partition("(")
            if prio_text == "n":
                if last is None or last[0] is not ext:
                    raise DialplanError(f"line {number}: priority 'n' without a previous one")
                priority = last[1] + 1
            else:
                try:
                    priority = int(prio_text)
                except ValueError:
                    raise DialplanError(f"line {number}: bad priority {prio_text!r}") from None
            app, data = _split_app(app_text.strip())
            ext.steps[priority] = Step(priority, app, data)
            if label:
                ext.labels[label] = priority
            last = (ext, priority)
        return plan

    def _extension(self, context: str, pattern: str) -> Extension:
        for ext in self.contexts[context]:
            if ext.pattern == pattern:
                return ext
        ext = Extension(pattern)
        self.contexts[context].append(ext)
        return ext

    def merge(self, other: Dialplan) -> None:
        """Add another file's contexts (its contexts replace ours with the same name)."""
        self.contexts.update(other.contexts)
        self.globals.update(other.globals)

    def find(self, context: str, exten: str) -> Extension | None:
        """The extension ``exten`` runs in ``context`` (literal before pattern)."""
        candidates = self.contexts.get(context, [])
        for ext in candidates:
            if not ext.pattern.startswith("_") and ext.pattern == exten:
                return ext
        for ext in candidates:
            if ext.matches(exten):
                return ext
        return None

    def label(self, context: str, exten: str, label: str) -> int | None:
        """The priority named ``label`` (``same => n(label),...``) or ``None``."""
        ext = self.find(context, exten)
        return None if ext is None else ext.labels.get(label)

    def step(self, context: str, exten: str, priority: int) -> Step | None:
        """The step at ``context,exten,priority`` or ``None``."""
        ext = self.find(context, exten)
        return None if ext is None else ext.steps.get(priority)


def _split_app(text: str) -> tuple[str, str]:
    if "(" not in text:
        return text, ""
    name, _, rest = text.partition("(")
    if rest.endswith(")"):
        rest = rest[:-1]
    return name.strip(), rest


_VAR = re.compile(r"\$\{([^{}]*)\}")
_EXPR = re.compile(r"\$\[([^\[\]]*)\]")
_COMPARISON = re.compile(r"^(?P<left>.*?)\s*(?P<op>!=|<=|>=|=|<|>)\s*(?P<right>.*)$")


def _operand(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    return text


def evaluate(expression: str) -> str:
    """A ``$[...]`` expression as Asterisk prints it: comparisons give ``1`` or ``0``
    (numbers compared as numbers), ``a & b`` / ``a | b`` their logic; else the text."""
    for op in ("|", "&"):
        if op in expression:
            parts = [evaluate(p) for p in expression.split(op)]
            truth = [p not in ("", "0") for p in parts]
            return "1" if (all(truth) if op == "&" else any(truth)) else "0"
    found = _COMPARISON.match(expression)
    if found is None:
        return _operand(expression)
    left, right, op = _operand(found["left"]), _operand(found["right"]), found["op"]
    try:
        a: float | str = float(left)
        b: float | str = float(right)
    except ValueError:
        a, b = left, right
    result = {
        "=": a == b,
        "!=": a != b,
        "<": a < b,  # type: ignore[operator]
        ">": a > b,  # type: ignore[operator]
        "<=": a <= b,  # type: ignore[operator]
        ">=": a >= b,  # type: ignore[operator]
    }[op]
    return "1" if result else "0"


def expand(text: str, lookup: Callable[[str], str]) -> str:
    """Replace ``${NAME}`` (innermost first) using ``lookup``, then ``$[expression]``."""
    for _ in range(20):
        new = _VAR.sub(lambda m: lookup(m.group(1)), text)
        if new == text:
            break
        text = new
    for _ in range(20):
        new = _EXPR.sub(lambda m: evaluate(m.group(1)), text)
        if new == text:
            return new
        text = new
    return text

"""The twin's extensions.conf reader (pure)."""

from __future__ import annotations

import pytest

from telephony.twin.dialplan import Dialplan, DialplanError, expand
from tests.twin.traces import TRACES


def test_reads_the_lab_dialplan() -> None:
    """Every lab context is there, with priorities numbered as Asterisk numbers them."""
    plan = Dialplan.from_file(TRACES / "lab-extensions.conf")
    assert set(plan.contexts) >= {
        "inbound",
        "agents",
        "connect",
        "spy",
        "amd_check",
        "customer_busy",
    }
    inbound = plan.find("inbound", "5511999990001")
    assert inbound is not None
    assert [(s.priority, s.app) for s in inbound.steps.values()] == [
        (1, "NoOp"),
        (2, "Answer"),
        (3, "AGI"),
        (4, "NoOp"),
        (5, "MusicOnHold"),
        (6, "Hangup"),
    ]
    assert plan.step("connect", "2001", 2) is not None
    assert plan.step("connect", "2001", 2).data == "Local/${EXTEN}@agents,20"  # type: ignore[union-attr]
    assert plan.find("nowhere", "99") is None


@pytest.mark.parametrize(
    ("pattern", "exten", "matches"),
    [
        ("_X.", "5511", True),
        ("_X.", "5", False),
        ("_NXX", "200", True),
        ("_NXX", "100", False),
        ("_[1-3]X", "25", True),
        ("_[1-3]X", "45", False),
        ("_9!", "9", True),
        ("2001", "2001", True),
    ],
)
def test_patterns(pattern: str, exten: str, matches: bool) -> None:
    """Asterisk's pattern letters: X, N, Z, ranges, '.' and '!'."""
    plan = Dialplan.from_text(f"[c]\nexten => {pattern},1,NoOp()\n")
    assert (plan.find("c", exten) is not None) is matches


def test_literal_wins_over_pattern_and_globals() -> None:
    """A literal extension is chosen before a pattern; [globals] are read."""
    plan = Dialplan.from_text(
        "[globals]\nAGI_URL=agi://h/x\n[c]\n"
        "exten => _X.,1,NoOp(pattern)\nexten => 42,1,NoOp(literal)\n"
    )
    assert plan.step("c", "42", 1).data == "literal"  # type: ignore[union-attr]
    assert plan.globals["AGI_URL"] == "agi://h/x"
    assert expand("${A}-${B}", {"A": "1", "B": "${A}"}.get) == "1-1"


def test_bad_line_is_reported_with_its_number() -> None:
    """A line the reader cannot understand names its line number."""
    with pytest.raises(DialplanError, match="line 3"):
        Dialplan.from_text("[c]\nexten => 1,1,NoOp()\nthis is not dialplan\n")


@pytest.mark.parametrize(
    ("text", "expanded"),
    [
        ('$["${ROUTE}" = ""]?Set(ROUTE=queue:x)', "1?Set(ROUTE=queue:x)"),
        ('$["${AGISTATUS}" != "SUCCESS"]', "1"),
        ("$[${N} > 10]", "0"),
        ('$["${ROUTE}" = "" & "${AGISTATUS}" = "FAILURE"]', "1"),
    ],
)
def test_expressions_are_evaluated_as_asterisk_prints_them(text: str, expanded: str) -> None:
    """``$[...]`` becomes ``1`` or ``0`` once variables are substituted (the Newexten of an
    ExecIf on Asterisk shows ``1?Set(...)``)."""
    values = {"ROUTE": "", "AGISTATUS": "FAILURE", "N": "9"}
    assert expand(text, lambda name: values.get(name, "")) == expanded

"""Queue configuration is validated with errors that name the problem."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from acd.domain import (
    ConfigError,
    EscalationStep,
    QueueConfig,
    Router,
    SkillError,
    SkillProfile,
    Strategy,
    parse_queues,
)


def test_proficiency_outside_one_to_five_is_refused() -> None:
    """A queue requiring level 6 fails with the skill name and the allowed range."""
    with pytest.raises(ValidationError, match=r"'sales' level must be from 1 to 5, got 6"):
        QueueConfig(name="sales", skills={"sales": 6})


def test_agent_skill_levels_are_checked_at_login() -> None:
    """An agent logging in with level 0 gets a SkillError and is not logged in."""
    router = Router([QueueConfig(name="sales")])
    with pytest.raises(SkillError, match="level must be from 1 to 5"):
        router.login("a1", {"sales": 0}, 0.0)
    assert "a1" not in router.agents
    with pytest.raises(SkillError, match="must be an integer"):
        SkillProfile({"sales": "3"})  # type: ignore[dict-item]


def test_escalation_steps_must_grow_in_time() -> None:
    """Steps out of order are reported with their number."""
    with pytest.raises(ValidationError, match="escalation step 2: 'after' must grow"):
        QueueConfig(
            name="q",
            skills={"a": 3},
            escalation=(
                EscalationStep(after=30, relax={"a": 2}),
                EscalationStep(after=10, relax={"a": 1}),
            ),
        )


def test_overflow_must_be_the_last_step_and_relax_must_lower() -> None:
    """A final step in the middle, or a relax that raises a level, is refused."""
    with pytest.raises(ValidationError, match="must be the last step"):
        QueueConfig(
            name="q",
            skills={"a": 3},
            escalation=(
                EscalationStep(after=10, callback=True),
                EscalationStep(after=20, relax={"a": 1}),
            ),
        )
    with pytest.raises(ValidationError, match="relax must lower 'a'"):
        QueueConfig(
            name="q", skills={"a": 3}, escalation=(EscalationStep(after=5, relax={"a": 4}),)
        )
    with pytest.raises(ValidationError, match="does not require"):
        QueueConfig(
            name="q", skills={"a": 3}, escalation=(EscalationStep(after=5, relax={"b": 1}),)
        )


def test_a_step_must_do_exactly_one_kind_of_thing() -> None:
    """Empty steps and steps that both widen and overflow are refused."""
    with pytest.raises(ValidationError, match="must do something"):
        EscalationStep(after=5)
    with pytest.raises(ValidationError, match="cannot also widen"):
        EscalationStep(after=5, relax={"a": 1}, overflow_to="x")
    with pytest.raises(ValidationError, match="not both"):
        EscalationStep(after=5, overflow_to="x", callback=True)


def test_unknown_references_and_overflow_cycles_are_refused() -> None:
    """The router refuses queues naming unknown queues, duplicates, and overflow loops."""
    with pytest.raises(ConfigError, match="unknown queue 'nowhere'"):
        Router(
            [QueueConfig(name="a", escalation=(EscalationStep(after=5, overflow_to="nowhere"),))]
        )
    with pytest.raises(ConfigError, match="defined twice"):
        Router([QueueConfig(name="a"), QueueConfig(name="a")])
    with pytest.raises(ConfigError, match="overflow cycle: a -> b -> a"):
        Router(
            [
                QueueConfig(name="a", escalation=(EscalationStep(after=5, overflow_to="b"),)),
                QueueConfig(name="b", escalation=(EscalationStep(after=5, overflow_to="a"),)),
            ]
        )


def test_unknown_fields_and_bad_limits_are_refused() -> None:
    """A typo in a field name or a negative wrap-up is reported by field."""
    with pytest.raises(ValidationError, match="strategi"):
        QueueConfig(name="q", strategi="longest_idle")  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="wrap_up_seconds"):
        QueueConfig(name="q", wrap_up_seconds=-1)
    with pytest.raises(ValidationError, match="strategy"):
        QueueConfig(name="q", strategy="random")  # type: ignore[arg-type]


def test_parse_queues_from_plain_data() -> None:
    """Queues read from TOML/JSON-like data become validated configs, keyed by name."""
    queues = parse_queues(
        [
            {"name": "sales", "skills": {"sales": 2}, "strategy": "round_robin"},
            {"name": "help", "escalation": [{"after": 60, "overflow_to": "sales"}]},
        ]
    )
    assert queues["sales"].strategy is Strategy.ROUND_ROBIN
    assert queues["help"].escalation[0].overflow_to == "sales"


def test_parse_queues_reports_every_problem_with_queue_and_field() -> None:
    """All bad fields of all queues are reported at once, each with its queue and path."""
    with pytest.raises(ConfigError) as info:
        parse_queues(
            [
                {"name": "ok"},
                {"name": "sales", "escalation": [{"after": 0, "relax": {}}]},
                {"name": "help", "max_length": 0},
            ]
        )
    message = str(info.value)
    assert "queue #2 ('sales'): escalation.0.after: Input should be greater than 0" in message
    assert "queue #3 ('help'): max_length: Input should be greater than or equal to 1" in message

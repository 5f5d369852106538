"""The ACD's one error base: every refusal is an AcdError with its own stable code."""

from __future__ import annotations

import pytest

import acd.domain as domain
from acd.domain import AcdError, IllegalTransition, QueueConfig, Router


def _all(cls: type[AcdError]) -> list[type[AcdError]]:
    found = [cls]
    for sub in cls.__subclasses__():
        found += _all(sub)
    return found


def test_each_error_class_has_its_own_stable_code() -> None:
    """No two error classes share a code (a subclass that adds no code must not exist)."""
    classes = [c for c in _all(AcdError) if c is not domain.AgentNotLoggedIn]
    codes = [c.code for c in classes]
    assert len(codes) == len(set(codes)), codes
    assert {"illegal_transition", "skill_invalid", "queue_config_invalid"} <= set(codes)
    assert all(c.kind in ("not_found", "invalid", "conflict") for c in classes)


def test_router_refusals_are_coded_acd_errors() -> None:
    """Illegal transitions, unknown ids and bad values all come out as AcdError with a code."""
    router = Router([QueueConfig(name="q")])
    with pytest.raises(AcdError) as info:
        router.pause("ghost", "lunch", 1.0)
    assert isinstance(info.value, IllegalTransition) and info.value.code == "illegal_transition"
    with pytest.raises(AcdError) as info:
        router.call_arrived("c", "nope", 1.0)
    assert (info.value.code, info.value.kind) == ("queue_not_found", "not_found")
    with pytest.raises(AcdError) as info:
        router.login("a", {"sales": 9}, 1.0)
    assert (info.value.code, info.value.kind) == ("skill_invalid", "invalid")
    with pytest.raises(AcdError) as info:
        router.call_arrived("c", "q", float("nan"))
    assert info.value.code == "invalid_value"
    router.call_arrived("c", "q", 1.0)
    with pytest.raises(AcdError) as info:
        router.agent_answered("c", 2.0)
    assert (info.value.code, info.value.kind) == ("call_state_conflict", "conflict")
    with pytest.raises(AcdError) as info:
        router.call_ended("x", 2.0)
    assert (info.value.code, info.value.kind) == ("call_not_found", "not_found")

"""Skills and proficiency: what an agent knows and what a queue requires.

Proficiency is an integer from 1 (beginner) to 5 (expert). Agents with the same skills share one
:class:`SkillProfile`, so the router indexes a few hundred profiles rather than thousands of agents.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from acd.domain.errors import SkillError

MIN_LEVEL = 1
MAX_LEVEL = 5

__all__ = [
    "MAX_LEVEL",
    "MIN_LEVEL",
    "Requirement",
    "SkillError",
    "SkillProfile",
    "check_skills",
    "parse_profile",
]


def check_skills(skills: Mapping[str, int], what: str = "skills") -> dict[str, int]:
    """Validate ``{skill: level}`` and return a plain copy; raise :class:`SkillError` if bad."""
    if not isinstance(skills, Mapping):
        raise SkillError(f"{what} must be a mapping of skill name to level, got {skills!r}")
    out: dict[str, int] = {}
    for name, level in skills.items():
        if not isinstance(name, str) or not name.strip():
            raise SkillError(f"{what}: skill name must be a non-empty string, got {name!r}")
        if isinstance(level, bool) or not isinstance(level, int):
            raise SkillError(f"{what}: skill {name!r} level must be an integer, got {level!r}")
        if not MIN_LEVEL <= level <= MAX_LEVEL:
            raise SkillError(
                f"{what}: skill {name!r} level must be from {MIN_LEVEL} to {MAX_LEVEL}, got {level}"
            )
        out[name] = level
    return out


class SkillProfile:
    """An immutable set of ``skill -> proficiency``; equal skills give equal, hashable profiles."""

    __slots__ = ("_key", "_levels")

    def __init__(self, skills: Mapping[str, int]) -> None:
        levels = check_skills(skills)
        self._levels = levels
        self._key = tuple(sorted(levels.items()))

    def level(self, skill: str) -> int:
        """The proficiency in ``skill``, 0 when the agent lacks it."""
        return self._levels.get(skill, 0)

    def as_dict(self) -> dict[str, int]:
        return dict(self._key)

    def __iter__(self) -> Iterator[tuple[str, int]]:
        return iter(self._key)

    def __hash__(self) -> int:
        return hash(self._key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SkillProfile) and other._key == self._key

    def __repr__(self) -> str:
        return f"SkillProfile({dict(self._key)!r})"

    def describe(self) -> str:
        """``"sales:3,support:2"``: the form written in the queue log."""
        return ",".join(f"{name}:{level}" for name, level in self._key)


def parse_profile(text: str) -> SkillProfile:
    """Inverse of :meth:`SkillProfile.describe`."""
    skills: dict[str, int] = {}
    for part in filter(None, text.split(",")):
        name, _, level = part.rpartition(":")
        skills[name] = int(level)
    return SkillProfile(skills)


class Requirement:
    """All of ``skill >= min level``; the empty requirement is met by every agent."""

    __slots__ = ("_items",)

    def __init__(self, minimum: Mapping[str, int]) -> None:
        self._items = tuple(sorted(check_skills(minimum, "requirement").items()))

    def met_by(self, profile: SkillProfile) -> bool:
        return all(profile.level(name) >= level for name, level in self._items)

    def score(self, profile: SkillProfile) -> int:
        """Sum of the agent's proficiency in the required skills (for best-skill routing)."""
        return sum(profile.level(name) for name, _ in self._items)

    def as_dict(self) -> dict[str, int]:
        return dict(self._items)

    def __repr__(self) -> str:
        return f"Requirement({dict(self._items)!r})"

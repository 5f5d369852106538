"""The ACD's errors: one base, :class:`AcdError`, and one stable ``code`` per subclass.

Every refusal of the ACD (router events, queue configuration, skills, agents' settings) is an
``AcdError``; nothing changed when one is raised. ``code`` is stable (clients may test it),
the message is for people. ``kind`` says what went wrong in words any adapter can map: the
request names something that does not exist (``not_found``), its values are malformed
(``invalid``), or the current state refuses it (``conflict``).
"""

from __future__ import annotations

from typing import ClassVar, Literal

ErrorKind = Literal["not_found", "invalid", "conflict"]


class AcdError(ValueError):
    """A request the ACD cannot apply. Nothing changed."""

    code: ClassVar[str] = "acd_refused"
    kind: ClassVar[ErrorKind] = "conflict"

    @property
    def message(self) -> str:
        return str(self)


class InvalidValue(AcdError):
    """A malformed value: an id with ``|``, a time that is not a finite number, a pause reason."""

    code = "invalid_value"
    kind = "invalid"


class SkillError(InvalidValue):
    """A skill name or proficiency level is invalid."""

    code = "skill_invalid"


class ConfigError(AcdError):
    """The set of queues is inconsistent (duplicate names, unknown or cyclic references)."""

    code = "queue_config_invalid"
    kind = "invalid"


class AgentNotFound(AcdError):
    """No agent is configured with this id."""

    code = "agent_not_found"
    kind = "not_found"


class QueueNotFound(AcdError):
    """No queue has this name."""

    code = "queue_not_found"
    kind = "not_found"


class CallNotFound(AcdError):
    """The ACD does not know this call (never queued, or already gone)."""

    code = "call_not_found"
    kind = "not_found"


class CallStateConflict(AcdError):
    """The call is not in a state that allows the request (e.g. answering a waiting call)."""

    code = "call_state_conflict"


class AgentExists(AcdError):
    """An agent with this id is already configured."""

    code = "agent_exists"


class QueueExists(AcdError):
    """A queue with this name already exists (replace it explicitly)."""

    code = "queue_exists"


class QueueInUse(AcdError):
    """The queue still has calls (or agents in its wrap-up): it cannot be removed now."""

    code = "queue_in_use"


class QueueRefused(AcdError):
    """The queue takes no more callers now (full, or nobody staffs it and it refuses)."""

    code = "queue_refused"


class InterfaceInUse(AcdError):
    """Another agent already rings at this interface: one phone cannot take two calls."""

    code = "interface_in_use"

    def __init__(self, interface: str, agent_id: str) -> None:
        super().__init__(f"interface {interface!r} already belongs to agent {agent_id!r}")
        self.interface = interface
        self.agent_id = agent_id


class UsernameInUse(AcdError):
    """Another agent already belongs to this user."""

    code = "username_in_use"

    def __init__(self, username: str, agent_id: str) -> None:
        super().__init__(f"user {username!r} already acts as agent {agent_id!r}")
        self.username = username
        self.agent_id = agent_id

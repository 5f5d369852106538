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


# ------------------------------------------------------------------ the agent's call controls
class CallControlRefused(AcdError):
    """A call control (hang up, hold, transfer, DTMF, click-to-call) the call's state refuses."""

    code = "call_control_refused"


class NoCall(CallControlRefused):
    """The agent has no call for what was asked (a call control, pause after the call, end a
    wrap-up...)."""

    code = "no_call"


class DispositionRequired(AcdError):
    """The agent's last call needs its disposition (the queue has codes) before he leaves
    wrap-up."""

    code = "disposition_required"


class NotConnected(CallControlRefused):
    """The agent's call is not connected yet (offered, ringing) or is over."""

    code = "not_connected"


class OnHold(CallControlRefused):
    """The caller is on hold: unhold first."""

    code = "on_hold"


class NotOnHold(CallControlRefused):
    """Unhold of a caller who is not on hold."""

    code = "not_on_hold"


class TransferInProgress(CallControlRefused):
    """An attended transfer is under way: complete or cancel it first."""

    code = "transfer_in_progress"


class NoTransfer(CallControlRefused):
    """Complete or cancel with no attended transfer under way."""

    code = "no_transfer"


class UnknownTarget(CallControlRefused):
    """The transfer's target (queue, agent, number) does not exist or is not valid."""

    code = "unknown_target"


class AgentBusy(CallControlRefused):
    """The target agent is not available (or the agent himself may not start a call now)."""

    code = "agent_busy"


class AsteriskUnavailable(CallControlRefused):
    """Asterisk did not take the action (link down, or the action refused)."""

    code = "asterisk_unavailable"


class TransferUnavailable(CallControlRefused):
    """Asterisk refused an attended transfer (no ``atxfer`` feature code in features.conf)."""

    code = "transfer_unavailable"

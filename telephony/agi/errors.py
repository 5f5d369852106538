"""Typed errors of a FastAGI session."""

from __future__ import annotations


class AgiError(Exception):
    """Base class of every FastAGI error."""


class AgiHangup(AgiError):
    """The caller hung up: Asterisk sent ``HANGUP``, answered ``511``, or closed the socket."""


class AgiProtocolError(AgiError):
    """Asterisk (or whoever connected) sent something that is not FastAGI."""


class AgiCommandError(AgiError):
    """A command was refused by Asterisk; ``command`` is the line that was sent."""

    def __init__(self, command: str, message: str) -> None:
        super().__init__(f"{command!r}: {message}")
        self.command = command
        self.message = message


class AgiInvalidCommand(AgiCommandError):
    """``510 Invalid or unknown command``."""


class AgiUsageError(AgiCommandError):
    """``520`` invalid syntax; ``usage`` holds the usage text Asterisk sent back."""

    def __init__(self, command: str, usage: str) -> None:
        super().__init__(command, "invalid command syntax")
        self.usage = usage


class AgiCommandFailed(AgiCommandError):
    """``200 result=-1`` (or ``-2`` for EXEC) where the command has no other way to say it."""


class AgiCommandTimeout(AgiError):
    """No answer to a command within its timeout; the session can no longer be used."""

    def __init__(self, command: str, timeout: float) -> None:
        super().__init__(f"no answer to {command!r} within {timeout:g} s")
        self.command = command
        self.timeout = timeout

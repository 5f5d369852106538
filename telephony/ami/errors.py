"""Errors of the AMI client. All derive from :class:`AmiError`."""

from __future__ import annotations

from telephony.ami.message import AmiMessage


class AmiError(Exception):
    """Something went wrong talking to an Asterisk server over AMI."""


class AmiAuthenticationError(AmiError):
    """Asterisk refused the username/secret (``Authentication failed``). Not retried."""


class AmiNotConnected(AmiError, ConnectionError):
    """The server is not connected and logged in right now."""


class AmiConnectionLost(AmiError, ConnectionError):
    """The connection dropped while the action waited for its answer."""


class AmiActionTimeout(AmiError, TimeoutError):
    """The action got no (complete) answer within its timeout."""


class AmiActionError(AmiError):
    """Asterisk answered ``Response: Error`` (``message`` says why)."""

    def __init__(self, action: str, response: AmiMessage) -> None:
        self.action = action
        self.response = response
        self.message = response.get("Message", "")
        super().__init__(f"{action}: {self.message or 'error'}")

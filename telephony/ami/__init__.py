"""AMI adapter: the incremental parser and the per-server client."""

from telephony.ami.actions import ActionResult, encode_action
from telephony.ami.client import AmiClient, AmiEventSink
from telephony.ami.config import AmiServer
from telephony.ami.errors import (
    AmiActionError,
    AmiActionTimeout,
    AmiAuthenticationError,
    AmiConnectionLost,
    AmiError,
    AmiNotConnected,
)
from telephony.ami.message import AmiMessage
from telephony.ami.parser import AmiParser

__all__ = [
    "ActionResult",
    "AmiActionError",
    "AmiActionTimeout",
    "AmiAuthenticationError",
    "AmiClient",
    "AmiConnectionLost",
    "AmiError",
    "AmiEventSink",
    "AmiMessage",
    "AmiNotConnected",
    "AmiParser",
    "AmiServer",
    "encode_action",
]

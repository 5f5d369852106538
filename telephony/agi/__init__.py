"""FastAGI server: routes by script name, typed environment, typed command helpers."""

from telephony.agi.environment import AgiEnvironment, parse_environment, read_environment
from telephony.agi.errors import (
    AgiCommandError,
    AgiCommandFailed,
    AgiCommandTimeout,
    AgiError,
    AgiHangup,
    AgiInvalidCommand,
    AgiProtocolError,
    AgiUsageError,
)
from telephony.agi.protocol import AgiResponse, Quoted, format_command, quote_argument
from telephony.agi.server import AgiServer, Route
from telephony.agi.session import AgiSession, DataResult, StreamResult

__all__ = [
    "AgiCommandError",
    "AgiCommandFailed",
    "AgiCommandTimeout",
    "AgiEnvironment",
    "AgiError",
    "AgiHangup",
    "AgiInvalidCommand",
    "AgiProtocolError",
    "AgiResponse",
    "AgiServer",
    "AgiSession",
    "AgiUsageError",
    "DataResult",
    "Quoted",
    "Route",
    "StreamResult",
    "format_command",
    "parse_environment",
    "quote_argument",
    "read_environment",
]

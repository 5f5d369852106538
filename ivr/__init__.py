"""The inbound IVR: a pure menu core and its FastAGI route."""

from ivr.events import CallbackAccepted, CallbackAcceptedPort, CallerRouted, CallerRoutedPort
from ivr.menu import (
    IvrMenu,
    RoutingDecision,
    caller_digits,
    default_menu,
    did_menu,
    route_caller,
)

__all__ = [
    "CallbackAccepted",
    "CallbackAcceptedPort",
    "CallerRouted",
    "CallerRoutedPort",
    "IvrMenu",
    "RoutingDecision",
    "caller_digits",
    "default_menu",
    "did_menu",
    "route_caller",
]

"""The dialer's AMI actions: Originate a lead into ``[dialer]``, the safe-harbour Redirect,
hanging up a ringing call. Failures become log lines (and ``False`` for an Originate)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import structlog

from campaigns.dialer.core import Dial
from campaigns.dialer.plan import DialingPlan
from telephony.ami import AmiActionError
from telephony.link import AsteriskLink

log = structlog.get_logger("campaigns.dialer")

_FAILED = (AmiActionError, ConnectionError, TimeoutError)
_UNSAFE = re.compile(r"[^0-9A-Za-z_.:@-]")
ACTION_PREFIX = "atende-dialer-"
CHANNEL_PREFIX = "dialer-"


def channel_id(attempt_id: str) -> str:
    """The uniqueid the dialer gives an attempt's channel (Originate ``ChannelId``): also the
    call's linkedid, and a name Hangup accepts before the call is answered."""
    return CHANNEL_PREFIX + attempt_id


@dataclass(frozen=True)
class DialerDialplan:
    """Where dialer calls go: the channel of a number and the dialplan contexts."""

    channel: str = "PJSIP/{number}@trunk"
    """The customer's channel; ``{number}`` is the number without ``+``."""
    context: str = "dialer"
    abandon_context: str = "dialer-abandon"


def originate_action(plan: DialingPlan, dial: Dial, where: DialerDialplan) -> dict[str, str]:
    """The ``Originate`` (Async) of one lead, with the campaign's and lead's variables."""
    number = dial.number.lstrip("+")
    variables = {
        "CAMPAIGN_ID": plan.campaign_id,
        "LEAD_ID": str(dial.lead_id),
        "CUSTOMER_ID": dial.customer_id,
        "DIALER_MACHINE": plan.machine_treatment,
    }
    return {
        "Action": "Originate",
        "ActionID": ACTION_PREFIX + dial.attempt_id,
        "ChannelId": channel_id(dial.attempt_id),
        "Channel": where.channel.format(number=number),
        "Context": where.context,
        "Exten": "s",
        "Priority": "1",
        "Async": "true",
        "Timeout": str(round(plan.ring_timeout * 1000)),
        "CallerID": f"<{dial.presented or plan.caller_id}>",
        "Variable": ",".join(f"{k}={_UNSAFE.sub('', v)}" for k, v in variables.items()),
    }


class DialerActions:
    """AMI actions of the dialer on one server."""

    def __init__(self, link: AsteriskLink, server: str, where: DialerDialplan) -> None:
        self.link, self.server, self.where = link, server, where

    async def originate(self, plan: DialingPlan, dial: Dial) -> bool:
        """Place the call; False when Asterisk refused it or cannot be reached."""
        try:
            await self.link.send_action(self.server, originate_action(plan, dial, self.where))
        except _FAILED as exc:
            log.warning("dialer_originate_failed", attempt=dial.attempt_id, error=str(exc))
            return False
        return True

    async def safe_harbour(self, channel: str, attempt_id: str) -> None:
        """Redirect a person nobody took to the recorded message."""
        try:
            await self.link.send_action(
                self.server,
                {"Action": "Redirect", "Channel": channel, "Context": self.where.abandon_context,
                 "Exten": "s", "Priority": "1"},
            )  # fmt: skip
        except _FAILED as exc:
            log.warning("dialer_safe_harbour_failed", attempt=attempt_id, error=str(exc))

    async def hang_up(self, attempt_id: str) -> None:
        """Hang up a ringing call by its ``ChannelId`` (the pacer gives it up)."""
        try:
            await self.link.send_action(
                self.server, {"Action": "Hangup", "Channel": channel_id(attempt_id)}
            )
        except _FAILED as exc:
            log.info("dialer_hangup_failed", attempt=attempt_id, error=str(exc))

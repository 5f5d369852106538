"""The AMI actions behind an agent's call controls, as a real Asterisk 22 takes them.

What the traces of Asterisk 22 showed (and this module is built on):

* ``Hangup`` of the agent's bridged leg ends the call for both sides.
* ``BlindTransfer`` names the **transferer** (the agent's leg): its bridge peer, the caller,
  goes to ``Exten@Context``; naming the caller would hang the caller up.
* ``Atxfer`` needs an ``atxfer`` code in features.conf and a Dial with ``t`` (else "No attended
  transfer feature code found", or the digits reach the caller); hanging up the agent's leg
  completes it, hanging up the target's leg cancels it.
* There is no Hold action for these channels: hold is one dual ``Redirect`` (caller to
  ``[call-hold]``, agent's leg to ``[agent-hold]``), unhold a ``Bridge`` of the two.
* ``PlayDTMF`` on a channel is heard by the far side of that channel.
* ``Originate`` of the agent's phone into ``[outbound]``: OriginateResponse Success comes at
  the agent's answer, whatever the customer does.

Every method raises :class:`acd.domain.errors.AsteriskUnavailable` (or
:class:`~acd.domain.errors.TransferUnavailable`) when Asterisk did not take the action.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from acd.domain.errors import AsteriskUnavailable, TransferUnavailable
from telephony.ami import AmiActionError
from telephony.link import AsteriskLink


@dataclass(frozen=True)
class ControlContexts:
    """The dialplan contexts the call controls send channels to."""

    hold: str = "inbound-hold"  # a caller blind-transferred to a queue waits here
    call_hold: str = "call-hold"
    agent_hold: str = "agent-hold"
    transfer_out: str = "transfer-out"
    outbound: str = "outbound"
    consult: str = "agents"  # an attended transfer dials its target here


class CallActions:
    """The call controls' AMI actions on one Asterisk server."""

    def __init__(
        self, link: AsteriskLink, server: str, contexts: ControlContexts | None = None
    ) -> None:
        self.link = link
        self.server = server
        self.contexts = contexts or ControlContexts()

    async def _send(self, action: dict[str, str]) -> None:
        try:
            await self.link.send_action(self.server, action)
        except AmiActionError as exc:
            refused = f"Asterisk refused {action['Action']}: {exc.message}"
            raise AsteriskUnavailable(refused) from None
        except (ConnectionError, TimeoutError, KeyError) as exc:
            raise AsteriskUnavailable(f"Asterisk is not reachable: {exc}") from None

    async def set_var(self, channel: str, name: str, value: str) -> None:
        """Setvar on one channel."""
        await self._send({"Action": "Setvar", "Channel": channel, "Variable": name, "Value": value})

    async def hangup(self, channel: str) -> None:
        """Hang up one channel (the agent's leg: the call ends; a consultation: it is over)."""
        await self._send({"Action": "Hangup", "Channel": channel})

    async def hold(self, caller: str, agent_leg: str) -> None:
        """Caller to music on hold, agent's leg to the waiting context, in one dual Redirect."""
        await self._send(
            {"Action": "Redirect", "Channel": caller, "Context": self.contexts.call_hold,
             "Exten": "s", "Priority": "1", "ExtraChannel": agent_leg,
             "ExtraContext": self.contexts.agent_hold, "ExtraExten": "s",
             "ExtraPriority": "1"}
        )  # fmt: skip

    async def unhold(self, caller: str, agent_leg: str) -> None:
        """Bridge the held caller and the waiting agent's leg again."""
        await self._send(
            {"Action": "Bridge", "Channel1": caller, "Channel2": agent_leg, "Tone": "no"}
        )

    async def blind_transfer(self, agent_leg: str, context: str, exten: str) -> None:
        """BlindTransfer naming the agent's leg: the caller goes to ``exten@context``."""
        await self._send(
            {"Action": "BlindTransfer", "Channel": agent_leg, "Context": context,
             "Exten": exten}
        )  # fmt: skip

    async def attended_transfer(self, agent_leg: str, exten: str) -> None:
        """Atxfer from the agent's leg to ``exten`` in the consultation context."""
        try:
            await self.link.send_action(
                self.server,
                {"Action": "Atxfer", "Channel": agent_leg, "Exten": exten,
                 "Context": self.contexts.consult},
            )  # fmt: skip
        except AmiActionError as exc:
            raise TransferUnavailable(
                f"Asterisk refused the attended transfer: {exc.message}"
            ) from None
        except (ConnectionError, TimeoutError, KeyError) as exc:
            raise AsteriskUnavailable(f"Asterisk is not reachable: {exc}") from None

    async def dtmf(self, channel: str, digits: str) -> None:
        """PlayDTMF each digit on ``channel`` (its far side hears them)."""
        for digit in digits:
            await self._send(
                {"Action": "PlayDTMF", "Channel": channel, "Digit": digit, "Duration": "200"}
            )

    async def click_to_call(
        self, interface: str, number: str, agent: str, variables: Mapping[str, str] | None = None
    ) -> str:
        """Async Originate of the agent's phone into ``[outbound]`` (the customer is dialled at
        his answer); its ActionID. ``variables`` (a preview campaign's ``CAMPAIGN_ID``,
        ``LEAD_ID``, ``CAMPAIGN_CALLERID``) are set on the agent's channel."""
        action_id = f"atende-click-{uuid.uuid4().hex[:16]}"
        pairs = {"ATENDE_CLICK_TO_CALL": agent, **(variables or {})}
        await self._send(
            {"Action": "Originate", "ActionID": action_id, "Channel": interface,
             "Context": self.contexts.outbound, "Exten": number, "Priority": "1",
             "Async": "true", "Timeout": "30000", "CallerID": f'"Atende" <{number}>',
             "Variable": ",".join(f"{k}={v}" for k, v in pairs.items())}
        )  # fmt: skip
        return action_id

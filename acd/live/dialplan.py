"""The ACD's AMI actions on callers: ring an agent, back to hold, exit, callback offer and dial.

Each method sends its actions to one Asterisk server over the link and turns AMI failures into a
log line (a caller who left is followed by his hangup; an unreachable Asterisk by a resync).
:class:`ActionPipe` runs them off the routing path: the router's decisions are taken at once,
their actions follow in order per channel, channels in parallel (AMI answers are awaited by the
pipe's owned tasks, never by the record consumer).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog

from telephony.ami import AmiActionError
from telephony.link import AsteriskLink

log = structlog.get_logger("acd.live")

_EXTEN = re.compile(r"[0-9]{2,}")
_FAILED = (AmiActionError, ConnectionError, TimeoutError)


@dataclass(frozen=True)
class Contexts:
    """The dialplan contexts the ACD sends callers to."""

    hold: str = "inbound-hold"
    connect: str = "connect"
    exit: str = "queue-exit"
    callback_offer: str = "callback-offer"
    callback_dial: str = "callback-dial"
    dialer_hold: str = "dialer-hold"  # people the dialer reached (acd.live.outbound)
    dialer_connect: str = "dialer-connect"


class ActionPipe:
    """Actions on callers, in order per channel, each channel's in an owned task of its own."""

    def __init__(self) -> None:
        self._pending: dict[str, deque[Callable[[], Awaitable[object]]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def send(self, channel: str, work: Callable[[], Awaitable[object]]) -> None:
        """Run ``work`` after the channel's earlier actions (returns at once)."""
        pending = self._pending.get(channel)
        if pending is not None:
            pending.append(work)
            return
        self._pending[channel] = deque([work])
        task = asyncio.create_task(self._chain(channel), name="acd-actions")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def busy(self) -> int:
        """Channels with actions not answered yet."""
        return len(self._pending)

    async def _chain(self, channel: str) -> None:
        works = self._pending[channel]
        try:
            while works:
                work = works.popleft()
                try:
                    await work()
                except Exception:
                    log.exception("acd_action_failed", channel=channel)
        finally:
            del self._pending[channel]

    async def drain(self) -> None:
        """Until every queued action was answered (tests, stop)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self) -> None:
        """Cancel what is still queued."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class DialplanActions:
    """AMI actions the ACD runs on callers of one server."""

    def __init__(self, link: AsteriskLink, server: str, contexts: Contexts) -> None:
        self.link = link
        self.server = server
        self.contexts = contexts

    async def ring_agent(
        self,
        call_id: str,
        channel: str,
        agent: str,
        interface: str,
        ring_timeout: float,
        context: str | None = None,
    ) -> bool:
        """Setvar AGENT_INTERFACE/RING_TIMEOUT, Redirect to [connect] (or ``context``); False
        when it failed (a Redirect after a failed Setvar fails too: the channel is gone or
        Asterisk away)."""
        exten = agent if _EXTEN.fullmatch(agent) else "00"
        actions = [
            {"Action": "Setvar", "Channel": channel, "Variable": "AGENT_INTERFACE",
             "Value": interface},
            {"Action": "Setvar", "Channel": channel, "Variable": "RING_TIMEOUT",
             "Value": str(max(1, round(ring_timeout)))},
            {"Action": "Redirect", "Channel": channel,
             "Context": context or self.contexts.connect, "Exten": exten, "Priority": "1"},
        ]  # fmt: skip
        # one write (AMI runs one session's actions in order), the answers awaited together
        sent: list[object]
        try:
            sent = list(await self.link.send_actions(self.server, actions))
        except _FAILED as exc:
            sent = [exc]
        for result in sent:
            if isinstance(result, BaseException):
                log.warning("acd_offer_failed", linkedid=call_id, agent=agent, error=str(result))
                return False
        return True

    async def back_to_hold(self, channel: str, context: str | None = None) -> None:
        """Redirect a caller to the hold context (or ``context``): an offer taken back."""
        with contextlib.suppress(*_FAILED):
            await self.link.send_action(
                self.server,
                {"Action": "Redirect", "Channel": channel,
                 "Context": context or self.contexts.hold, "Exten": "s", "Priority": "1"},
            )  # fmt: skip

    async def send_away(self, call_id: str, channel: str, why: str) -> None:
        """To the exit message (``ATENDE_EXIT_REASON``), or hang up where there is none."""
        actions = [
            {"Action": "Setvar", "Channel": channel, "Variable": "ATENDE_EXIT_REASON",
             "Value": why},
            {"Action": "Redirect", "Channel": channel, "Context": self.contexts.exit,
             "Exten": "s", "Priority": "1"},
        ]  # fmt: skip
        try:
            for action in actions:
                await self.link.send_action(self.server, action)
        except AmiActionError:
            # no exit announcement on this Asterisk: end the call
            with contextlib.suppress(*_FAILED):
                await self.link.send_action(self.server, {"Action": "Hangup", "Channel": channel})
        except (ConnectionError, TimeoutError) as exc:
            log.warning("acd_send_away_failed", linkedid=call_id, error=str(exc))

    async def offer_callback(self, call_id: str, channel: str) -> None:
        """Redirect a waiting caller to the callback offer."""
        try:
            await self.link.send_action(
                self.server,
                {"Action": "Redirect", "Channel": channel,
                 "Context": self.contexts.callback_offer, "Exten": "s", "Priority": "1"},
            )  # fmt: skip
        except _FAILED as exc:
            log.warning("acd_callback_offer_failed", linkedid=call_id, error=str(exc))

    async def dial_callback(
        self, call_id: str, interface: str, number: str, ring_timeout: float
    ) -> str | None:
        """Async Originate of the agent's interface into [callback-dial]; its ActionID, or
        None when it could not be sent."""
        action_id = f"atende-callback-{uuid.uuid4().hex[:16]}"
        ring_ms = max(1, round(ring_timeout)) * 1000
        action = {
            "Action": "Originate", "ActionID": action_id, "Channel": interface,
            "Context": self.contexts.callback_dial, "Exten": number, "Priority": "1",
            "Async": "true", "Timeout": str(ring_ms), "CallerID": f'"Callback" <{number}>',
            "Variable": f"ATENDE_CALLBACK={call_id}",
        }  # fmt: skip
        try:
            await self.link.send_action(self.server, action)
        except _FAILED as exc:
            log.warning("acd_callback_not_placed", linkedid=call_id, error=str(exc))
            return None
        return action_id

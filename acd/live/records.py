"""The call tracker's records as router events: rings, answers, misses, hangups."""

from __future__ import annotations

import contextlib
from typing import Any

import structlog

from acd.domain import AcdError, QueueEvent
from acd.domain.queue_log import secs
from acd.live.base import leg
from acd.live.call import CallState, StoredCall
from acd.live.offers import Offers
from ivr import CallbackAccepted
from telephony.calls.changes import (
    CallBridged,
    CallEnded,
    ChannelHungUp,
    DialEnded,
    DialStarted,
    OriginateResult,
)

log = structlog.get_logger("acd.live")

NOT_ANSWERED = frozenset({"NOANSWER", "BUSY", "CHANUNAVAIL", "CONGESTION", "INVALIDARGS"})


class TrackerRecords(Offers):
    """One method per kind of record, run under the lock by the inbox task."""

    async def _on_record(self, record: Any) -> None:
        if getattr(record, "server", None) != self.server:
            return
        if isinstance(record, OriginateResult):
            await self._callback_placed(record)
            return
        linkedid = getattr(record, "linkedid", "")
        call = self.calls.get(self._callback_legs.get(linkedid, linkedid))
        if call is None:
            if isinstance(record, ChannelHungUp):
                await self._routed_and_gone(record)
            return
        if (
            isinstance(record, CallEnded)
            and linkedid == call.call_id
            and call.callback
            and call.state is CallState.WAITING
        ):
            # the caller hung up after accepting: not an abandon, the callback keeps his place
            call.caller_gone = True
            await self.store.save_call(call)
            log.info("acd_callback_waiting", linkedid=call.call_id, queue=call.queue)
            return
        now = self.clock()
        if isinstance(record, DialStarted) and call.state is CallState.OFFERED:
            call.agent_leg = leg(record.destination)
            call.rung_at = now
            if call.call_id not in self._held:
                with contextlib.suppress(AcdError):
                    self.router.agent_ringing(call.call_id, now)
            if call.agent:
                self._tell("ringing", call.agent, call)
        elif isinstance(record, DialEnded) and call.state is CallState.OFFERED:
            if record.status == "ANSWER" and record.source is not None:
                # connected at the bridge that follows (a caller gone before it abandoned)
                call.dial_answered_at = now
            else:
                await self._dial_ended(call, record.status, now)
        elif isinstance(record, ChannelHungUp) and call.state is CallState.OFFERED:
            if leg(record.channel) == leg(call.channel):
                call.caller_left = True  # a bridge after this is no answer: he hung up first
        elif isinstance(record, CallBridged) and call.state is CallState.OFFERED:
            if call.caller_left:
                return
            answered = call.dial_answered_at if call.dial_answered_at is not None else now
            await self._dial_ended(call, "ANSWER", answered)
        elif isinstance(record, ChannelHungUp) and call.state is CallState.CONNECTED:
            if call.agent_hung_up is None:
                call.agent_hung_up = leg(record.channel) == call.agent_leg
        elif isinstance(record, CallEnded):
            await self._call_ended(call, now)

    async def _routed_and_gone(self, hangup: ChannelHungUp) -> None:
        """A channel the IVR (or the dialplan's fallback) routed to a queue (``ROUTE``) hung up
        before the ACD took his call: he still counts (ENTERQUEUE, ABANDON). His routing may
        never reach the ACD (a hangup while the IVR sets ROUTE ends its session)."""
        self._kept.pop(hangup.linkedid, None)  # kept by an overload: counted here
        if hangup.linkedid in self._taken:
            return
        channel = self.link.tracker.channel(self.server, hangup.uniqueid)
        route = channel.variables.get("ROUTE", "") if channel is not None else ""
        queue = route.removeprefix("queue:") if route.startswith("queue:") else ""
        if queue not in self.router.queues:
            return
        self._take(hangup.linkedid)
        now = self.clock()
        try:
            decisions = self.router.call_arrived(hangup.linkedid, queue, now)
        except AcdError as exc:
            log.warning("acd_caller_refused", linkedid=hangup.linkedid, error=str(exc))
            return
        decisions = [d for d in decisions if getattr(d, "call_id", None) != hangup.linkedid]
        with contextlib.suppress(AcdError):
            decisions += self.router.call_abandoned(hangup.linkedid, now)
        log.info("acd_caller_gone_before_queue", linkedid=hangup.linkedid, queue=queue)
        await self._run(decisions)

    async def _dial_ended(self, call: StoredCall, status: str, now: float) -> None:
        agent = call.agent or ""
        if status == "ANSWER":
            call.state = CallState.CONNECTED
            call.answered_at = now
            if call.call_id not in self._held:
                await self._run(self.router.agent_answered(call.call_id, now))
            else:
                hold = secs(now - call.entered_at)
                self._own(call, agent, QueueEvent.CONNECT, now, hold, secs(0))
            await self.store.save_call(call)
            self._tell("answered", agent, call)
            log.info("acd_answered", linkedid=call.call_id, agent=agent, queue=call.queue)
        elif status in NOT_ANSWERED:
            call.back_in_line()
            await self.store.release(agent, call.call_id)
            if call.call_id in self._held:  # restored while ringing: back in line
                self._held.pop(call.call_id)
                self.log_book.restored.add(call.call_id)
                decisions = self.router.call_arrived(
                    call.call_id, call.queue, now, call.priority, entered_at=call.entered_at
                )
                decisions += self._after_restored(agent, call.queue, now, talked=False)
            else:
                decisions = self.router.agent_no_answer(call.call_id, now)
            await self.store.save_call(call)
            self._log_pause(agent, call.call_id, call.queue)
            log.info(
                "acd_not_answered", linkedid=call.call_id, agent=agent, queue=call.queue,
                status=status,
            )  # fmt: skip
            await self._run(decisions)

    async def _call_ended(self, call: StoredCall, now: float) -> None:
        self.calls.pop(call.call_id, None)
        call.ended_at = now
        if call.agent:
            self._tell("ended", call.agent, call)
        if call.callback_leg:
            self._callback_legs.pop(call.callback_leg, None)
        await self.store.remove_call(call.call_id)
        connected = call.state is CallState.CONNECTED
        wrapping = connected and call.call_id not in self._held and call.agent is not None
        if call.agent and not wrapping:
            await self.store.release(call.agent, call.call_id)
        elif call.agent:
            # kept reserved through wrap-up: released once this router frees the agent (the
            # stored call, marked wrap_up, lets a restarted engine release it)
            self._wrapping[call.agent] = call.call_id
            call.state = CallState.WRAP_UP
            await self.store.save_call(call)
        held = self._held.pop(call.call_id, None)
        if held is not None:
            if connected:
                answered = call.answered_at if call.answered_at is not None else now
                event = (
                    QueueEvent.COMPLETEAGENT if call.agent_hung_up else QueueEvent.COMPLETECALLER
                )
                hold, talk = secs(answered - call.entered_at), secs(max(0.0, now - answered))
                self._own(call, held, event, now, hold, talk, "0")
            log.info(
                "acd_call_ended", linkedid=call.call_id, agent=held, queue=call.queue,
                answered=connected, by="agent" if call.agent_hung_up else "caller", restored=True,
            )  # fmt: skip
            await self._run(self._after_restored(held, call.queue, now, talked=connected))
            return
        try:
            if connected:
                by_agent = bool(call.agent_hung_up)
                decisions = self.router.call_ended(call.call_id, now, by_agent=by_agent)
            else:
                decisions = self.router.call_abandoned(call.call_id, now)
        except AcdError as exc:
            log.warning("acd_call_end_ignored", linkedid=call.call_id, error=str(exc))
            return
        log.info(
            "acd_call_ended", linkedid=call.call_id, agent=call.agent, queue=call.queue,
            answered=connected, by="agent" if connected and call.agent_hung_up else "caller",
        )  # fmt: skip
        await self._run(decisions)

    # ------------------------------------------------------------------ callbacks
    async def _accept_callback(self, event: CallbackAccepted, call_id: str | None) -> None:
        async with self._lock:
            call = self.calls.get(call_id) if call_id else None
            if call is None:
                log.warning("acd_callback_caller_unknown", uniqueid=event.uniqueid)
                return
            try:
                decisions = self.router.callback_accepted(call.call_id, self.clock())
            except AcdError as exc:
                log.warning("acd_callback_refused", linkedid=call.call_id, error=str(exc))
                return
            call.callback = True
            call.callback_number = event.number
            await self.store.save_call(call)
            log.info(
                "acd_callback_accepted",
                linkedid=call.call_id,
                queue=call.queue,
                position=self.router.position(call.call_id),
            )
            await self._run(decisions)

    async def _callback_placed(self, result: OriginateResult) -> None:
        """The agent answered the callback (his call now dials the customer) or did not."""
        call_id = self._callback_actions.pop(result.action_id, None)
        call = self.calls.get(call_id) if call_id else None
        if call is None or call.state is not CallState.OFFERED:
            return
        now = self.clock()
        if result.success and result.linkedid:
            self._callback_legs[result.linkedid] = call.call_id
            call.callback_leg = result.linkedid
            call.agent_leg = leg(result.channel)
            log.info("acd_callback_agent_answered", linkedid=call.call_id, leg=result.linkedid)
            await self._dial_ended(call, "ANSWER", now)
        else:
            log.info("acd_callback_agent_missed", linkedid=call.call_id, reason=result.reason)
            await self._dial_ended(call, "NOANSWER", now)

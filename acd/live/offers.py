"""Executing the router's decisions: offers ring agents, cancels and exits move callers."""

from __future__ import annotations

import structlog

from acd.domain import (
    CancelOffer,
    Decision,
    ExitEmpty,
    Offer,
    OfferCallback,
    Overflow,
    Rejected,
    Timeout,
)
from acd.live.base import ELSEWHERE, AcdBase
from acd.live.call import CallState, StoredCall
from acd.live.store import ShareAdopted, StoredAgent

log = structlog.get_logger("acd.live")


class Offers(AcdBase):
    """``_run``: every decision of the router, in order, then the queue log."""

    async def _run(self, decisions: list[Decision]) -> None:
        pending = list(decisions)
        while pending:
            decision = pending.pop(0)
            if isinstance(decision, Offer):
                pending += await self._offer(decision)
            elif isinstance(decision, CancelOffer):
                await self._cancel(decision)
            elif isinstance(decision, Overflow):
                call = self.calls.get(decision.call_id)
                if call is not None:
                    call.queue = decision.to_queue
                    await self.store.save_call(call)
            elif isinstance(decision, Timeout | Rejected | ExitEmpty):
                await self._send_away(decision.call_id, type(decision).__name__)
            elif isinstance(decision, OfferCallback):
                await self._offer_callback(decision)
            else:
                log.info("acd_decision_ignored", decision=repr(decision))
        self._queue_log()

    async def _offer(self, offer: Offer) -> list[Decision]:
        call = self.calls.get(offer.call_id)
        agent = self.agents.get(offer.agent_id)
        if call is None or agent is None:
            return []
        now = self.clock()
        finished = self._wrapping.pop(offer.agent_id, None)
        if finished is not None:  # our router freed him: his last call's hold ends here
            await self._release_wrapped(offer.agent_id, finished)
        try:
            granted = await self.store.reserve(offer.agent_id, offer.call_id, self.engine_id)
        except ShareAdopted:  # our lease ran out unseen: hand over what was adopted first
            await self._share_lost()
            if offer.call_id not in self.router.calls:
                return []
            return self.router.offer_withdrawn(offer.call_id, now)
        if not granted:
            log.info("acd_agent_taken_elsewhere", agent=offer.agent_id, linkedid=offer.call_id)
            decisions = self.router.agent_no_answer(offer.call_id, now)
            decisions += self.router.pause(offer.agent_id, ELSEWHERE, now)
            self._log_pause(offer.agent_id, offer.call_id, offer.queue)
            return decisions
        call.agent, call.state = offer.agent_id, CallState.OFFERED
        self.agent_calls[offer.agent_id] = call
        self._tell("reserved", offer.agent_id, call)
        await self.store.save_call(call)
        if call.caller_gone:  # a callback whose caller hung up: call him back
            await self._place_callback(call, agent, offer)
            return []
        if call.call_id in self._rung_by_transfer:  # BlindTransfer sent him to [connect]
            self._rung_by_transfer.discard(call.call_id)
            log.info("acd_offered", linkedid=call.call_id, agent=agent.agent_id,
                     queue=offer.queue, by="transfer")  # fmt: skip
            return []
        # a failed offer: the caller left (his hangup follows) or Asterisk is away (the
        # resync settles the call; else the router's ring timeout cancels the offer)
        outbound = call.direction == "outbound"
        dialplan, channel = self.dialplan, call.channel
        call_id, agent_id, interface = call.call_id, agent.agent_id, agent.interface
        context = self.contexts.dialer_connect if outbound else None
        self.caller_actions.send(
            channel,
            lambda: dialplan.ring_agent(
                call_id, channel, agent_id, interface, offer.ring_timeout, context
            ),
        )
        log.info("acd_offered", linkedid=call_id, agent=agent_id, queue=offer.queue)
        return []

    async def _cancel(self, cancel: CancelOffer) -> None:
        call = self.calls.get(cancel.call_id)
        await self.store.release(cancel.agent_id, cancel.call_id)
        for action_id, call_id in list(self._callback_actions.items()):
            if call_id == cancel.call_id:  # a late OriginateResponse is then ignored
                del self._callback_actions[action_id]
        if call is None:
            return
        self._log_pause(cancel.agent_id, call.call_id, call.queue)
        call.back_in_line()
        await self.store.save_call(call)
        log.info(
            "acd_offer_cancelled", linkedid=call.call_id, agent=cancel.agent_id, queue=call.queue
        )
        dialplan, channel = self.dialplan, call.channel
        hold = self.contexts.dialer_hold if call.direction == "outbound" else None
        self.caller_actions.send(channel, lambda: dialplan.back_to_hold(channel, hold))

    async def _send_away(self, call_id: str, why: str) -> None:
        call = self.calls.pop(call_id, None)
        if call is None:
            return
        await self.store.remove_call(call_id)
        log.info("acd_caller_sent_away", linkedid=call_id, queue=call.queue, reason=why)
        dialplan, channel = self.dialplan, call.channel
        self.caller_actions.send(channel, lambda: dialplan.send_away(call_id, channel, why))

    async def _release_wrapped(self, agent_id: str, call_id: str) -> None:
        await self.store.release(agent_id, call_id)
        if call_id not in self.calls:  # a transferred call goes on: keep its record
            await self.store.remove_call(call_id)

    # ------------------------------------------------------------------ callbacks
    async def _offer_callback(self, decision: OfferCallback) -> None:
        """Send a waiting caller to the callback offer (he comes back to hold unless he
        accepts)."""
        call = self.calls.get(decision.call_id)
        if call is None or call.state is not CallState.WAITING:
            return
        log.info("acd_callback_offered", linkedid=call.call_id, queue=decision.queue)
        dialplan, channel, call_id = self.dialplan, call.channel, call.call_id
        self.caller_actions.send(channel, lambda: dialplan.offer_callback(call_id, channel))

    async def _place_callback(self, call: StoredCall, agent: StoredAgent, offer: Offer) -> None:
        """Ring the reserved agent; his answer runs the dialplan that calls the customer
        (a failure: the router's ring timeout cancels the offer, the call keeps its place)."""
        number = call.callback_number or call.caller
        action_id = await self.dialplan.dial_callback(
            call.call_id, agent.interface, number, offer.ring_timeout
        )
        if action_id is None:
            return
        self._callback_actions[action_id] = call.call_id
        log.info("acd_callback_ringing_agent", linkedid=call.call_id, agent=agent.agent_id)

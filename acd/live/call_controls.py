"""The agent's call controls: hang up, hold, transfers, DTMF and click-to-call, with the books.

Each control finds the agent's current call, refuses with a coded
:class:`acd.domain.errors.CallControlRefused` when its state does not allow it, sends the AMI
actions (:mod:`acd.live.call_actions`) and only then updates the router and the stored call:

* **Hold** keeps both legs (dual Redirect, then Bridge). A side that hangs up while the other
  is held has the other hung up by the ACD (nothing would bring him back).
* **Blind transfer to a queue**: BlindTransfer of the agent's leg to ``[inbound-hold]``; the
  router records TRANSFER for the agent (he goes to wrap-up) and the caller joins the target
  queue as a **new entry** (ENTERQUEUE there, his wait in it starts at the transfer, his
  priority is kept) and is routed again.
* **Blind transfer to an agent** (logged in and available): ``Setvar`` AGENT_INTERFACE and
  RING_TIMEOUT on the caller, BlindTransfer of the agent's leg to ``[connect]`` (as recorded
  in product_blind_transfer); the router records TRANSFER and offers the call to that agent
  (ENTERQUEUE in the call's queue, then RINGNOANSWER / CONNECT as for any offer: a miss leaves
  the caller waiting in that queue).
* **Blind transfer to a number**: BlindTransfer to ``[transfer-out]``; TRANSFER, and the call
  leaves the ACD.
* **Attended transfer** (to an agent or a number): Atxfer from the agent's leg; a target agent
  is kept busy (paused ``on call``) from the start. Complete = hang up the agent's leg
  (Asterisk joins caller and target): TRANSFER, the call leaves the ACD, the target agent's
  wrap-up follows its end. Cancel = hang up the target's consultation leg (the agent is back
  with the caller); the target agent is available again.
* **Click-to-call**: Originate of the agent's phone into ``[outbound]``; the agent is paused
  ``outbound call`` (no offer reaches him) until that call ends, then back to his former state.
* **Preview hold**: while a preview campaign's lead (or a callback) is on an available agent's
  desk, he is paused ``preview lead``: no inbound or dialer call is offered to him until he
  dials it (his click-to-call; once that call was placed and ends he is available), skips it,
  or the dialer lets the lead go.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

import structlog

from acd.domain import AcdError, AgentState
from acd.domain.errors import (
    AgentBusy,
    NoCall,
    NotConnected,
    NotOnHold,
    NoTransfer,
    OnHold,
    TransferInProgress,
    UnknownTarget,
)
from acd.live.base import ON_CALL, OUTBOUND, PREVIEW, leg
from acd.live.call import CallState, StoredCall
from acd.live.call_actions import CallActions
from acd.live.leases import Leases
from telephony.calls.changes import CallEnded, ChannelHungUp, OriginateResult

log = structlog.get_logger("acd.live")

NUMBER = re.compile(r"\+?[0-9]{3,20}")
DIGITS = re.compile(r"[0-9*#]{1,32}")
_EXTEN = re.compile(r"[0-9]{2,}")
UP = "6"  # an Asterisk channel state: answered


@dataclass
class OutboundCall:
    """An agent's click-to-call: his state before it, and the call once Asterisk placed it."""

    agent: str
    number: str
    action_id: str
    paused_before: str | None
    customer_id: str | None = None
    linkedid: str | None = None
    placed_at: float = 0.0
    answered_at: float | None = None  # the agent answered (Asterisk then dials the customer)


@dataclass
class Consultation:
    """An attended transfer under way."""

    kind: str  # agent | number
    target: str
    exten: str


class CallControls(Leases):
    """The controls (one coroutine each, run under the ACD's lock)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actions = CallActions(self.link, self.server)
        self._outbound: dict[str, OutboundCall] = {}  # agent -> his click-to-call
        self._consulting: dict[str, Consultation] = {}  # call -> attended transfer
        self._handed: dict[str, tuple[str, str]] = {}  # call -> (target agent, queue)

    # ------------------------------------------------------------------ lookups
    def current_call(self, agent_id: str) -> StoredCall | None:
        """The inbound call the agent is offered or talks on (None: none)."""
        for call in self.calls.values():
            if call.agent == agent_id and call.state in (CallState.OFFERED, CallState.CONNECTED):
                return call
        return None

    def call_controls_state(self, agent_id: str) -> dict[str, Any]:
        """What the controls see of the agent's call (for pages: held, transfer, outbound)."""
        call = self.current_call(agent_id)
        outbound = self._outbound.get(agent_id)
        consult = self._consulting.get(call.call_id) if call else None
        return {
            "call_id": call.call_id if call else (outbound.linkedid if outbound else None),
            "state": call.state.value if call else ("outbound" if outbound else None),
            "held": bool(call and call.held),
            "transfer": {"type": consult.kind, "value": consult.target} if consult else None,
            "outbound": {
                "number": outbound.number,
                "customer_id": outbound.customer_id,
                "state": self._outbound_state(outbound),
                "placed_at": outbound.placed_at,
                "answered_at": outbound.answered_at,
            }
            if outbound
            else None,
        }

    def _outbound_state(self, outbound: OutboundCall) -> str:
        """``ringing`` (the agent's phone), ``dialing`` (the customer's), ``connected``."""
        if outbound.linkedid is None:
            return "ringing"
        tracked = self.link.tracker.call(self.server, outbound.linkedid)
        if tracked is not None:
            for ch in self.link.tracker.call_channels(tracked):
                if ch.dialled_by is not None and ch.state == UP:
                    return "connected"
        return "dialing"

    def _connected(self, agent_id: str) -> StoredCall:
        self._logged_in(agent_id)
        call = self.current_call(agent_id)
        if call is None:
            raise NoCall(f"agent {agent_id} has no call")
        if call.state is not CallState.CONNECTED:
            raise NotConnected(f"call {call.call_id} is not connected yet")
        return call

    def _logged_in(self, agent_id: str) -> None:
        if agent_id not in self.agents:
            raise NoCall(f"agent {agent_id} is not logged in")

    def _agent_channel(self, call: StoredCall) -> str:
        """The agent's bridged leg: the channel his Dial created (``;1`` of a Local pair)."""
        tracked = self.link.tracker.call(self.server, call.call_id)
        if tracked is not None and call.agent_leg:
            for ch in self.link.tracker.call_channels(tracked):
                if leg(ch.name) == call.agent_leg and ch.dialled_by is not None:
                    return ch.name
        if call.agent_leg and call.agent_leg.startswith("Local/"):
            return f"{call.agent_leg};1"
        if call.agent_leg:
            return call.agent_leg
        raise NotConnected(f"call {call.call_id}: the agent's leg is not known")

    def _outbound_customer(self, outbound: OutboundCall) -> str | None:
        """The customer's channel of a click-to-call (the one [outbound]'s Dial created)."""
        tracked = self.link.tracker.call(self.server, outbound.linkedid or "")
        if tracked is None:
            return None
        for ch in self.link.tracker.call_channels(tracked):
            if ch.dialled_by is not None:
                return ch.name
        return None

    # ------------------------------------------------------------------ hang up, DTMF
    async def hangup_call(self, agent_id: str) -> dict[str, Any]:
        """Hang up the agent's call (his leg: the caller's side ends with it)."""
        async with self._lock:
            outbound = self._outbound.get(agent_id)
            if outbound is not None and self.current_call(agent_id) is None:
                channel = self._outbound_agent_channel(outbound)
                await self.actions.hangup(channel)
                log.info("acd_outbound_hung_up", agent=agent_id, linkedid=outbound.linkedid)
                return {"call_id": outbound.linkedid}
            call = self._connected(agent_id)
            channel = self._agent_channel(call)
            await self.actions.hangup(channel)
            if call.held:  # the caller waits alone in [call-hold]: end his side too
                call.held = False
                await self.actions.hangup(call.channel)
            call.agent_hung_up = True
            await self.store.save_call(call)
            log.info("acd_agent_hung_up", linkedid=call.call_id, agent=agent_id)
            return {"call_id": call.call_id}

    def _outbound_agent_channel(self, outbound: OutboundCall) -> str:
        tracked = self.link.tracker.call(self.server, outbound.linkedid or "")
        if tracked is None:
            raise NotConnected("the agent's call is not placed yet")
        channels = self.link.tracker.call_channels(tracked)
        for ch in channels:
            if ch.dialled_by is None and ch.name.endswith(";1"):
                return ch.name
        if not channels:
            raise NotConnected("the agent's call is not placed yet")
        return channels[0].name

    async def send_dtmf(self, agent_id: str, digits: str) -> dict[str, Any]:
        """Play ``digits`` to the customer (PlayDTMF on the customer's channel: its far side,
        the customer, hears them)."""
        if not DIGITS.fullmatch(digits):
            raise UnknownTarget(f"DTMF digits must be 0-9, * or #, got {digits!r}")
        async with self._lock:
            outbound = self._outbound.get(agent_id)
            if outbound is not None and self.current_call(agent_id) is None:
                customer = self._outbound_customer(outbound)
                if customer is None:
                    raise NotConnected("the customer's phone is not reached yet")
                await self.actions.dtmf(customer, digits)
                return {"call_id": outbound.linkedid, "digits": digits}
            call = self._connected(agent_id)
            if call.held:
                raise OnHold(f"call {call.call_id} is on hold")
            await self.actions.dtmf(call.channel, digits)
            log.info("acd_dtmf_sent", linkedid=call.call_id, agent=agent_id, count=len(digits))
            return {"call_id": call.call_id, "digits": digits}

    # ------------------------------------------------------------------ hold
    async def hold_call(self, agent_id: str) -> dict[str, Any]:
        """Caller to music on hold, the agent's leg waiting (both kept)."""
        async with self._lock:
            call = self._connected(agent_id)
            if call.held:
                raise OnHold(f"call {call.call_id} is on hold already")
            if call.call_id in self._consulting:
                raise TransferInProgress("complete or cancel the attended transfer first")
            channel = self._agent_channel(call)
            await self.actions.hold(call.channel, channel)
            call.held, call.held_leg = True, channel
            await self.store.save_call(call)
            log.info("acd_call_held", linkedid=call.call_id, agent=agent_id)
            self._tell("state", agent_id)  # his desk shows the call held
            return {"call_id": call.call_id, "held": True}

    async def unhold_call(self, agent_id: str) -> dict[str, Any]:
        """Bridge the held caller and the agent's leg again."""
        async with self._lock:
            call = self._connected(agent_id)
            if not call.held:
                raise NotOnHold(f"call {call.call_id} is not on hold")
            await self.actions.unhold(call.channel, call.held_leg or self._agent_channel(call))
            call.held = False
            await self.store.save_call(call)
            log.info("acd_call_unheld", linkedid=call.call_id, agent=agent_id)
            self._tell("state", agent_id)
            return {"call_id": call.call_id, "held": False}

    # ------------------------------------------------------------------ transfers
    def _transfer_target(self, call: StoredCall, kind: str, value: str) -> None:
        """Refuse a target that does not exist or cannot take the call now."""
        if kind == "queue":
            if value not in self.router.queues:
                raise UnknownTarget(f"no queue {value!r}")
        elif kind == "agent":
            if value not in self.agents or value not in self.router.agents:
                raise UnknownTarget(f"agent {value!r} is not logged in")
            if value == call.agent:
                raise UnknownTarget("an agent cannot transfer a call to himself")
            state = self.router.agent(value).state
            if state is not AgentState.AVAILABLE:
                raise AgentBusy(f"agent {value!r} is {state.value}")
        elif kind == "number":
            if not NUMBER.fullmatch(value):
                raise UnknownTarget(f"{value!r} is not a phone number")
        else:
            raise UnknownTarget(f"unknown target type {kind!r}")

    def _may_transfer(self, agent_id: str) -> StoredCall:
        call = self._connected(agent_id)
        if call.held:
            raise OnHold(f"call {call.call_id} is on hold: take it back first")
        if call.call_id in self._consulting:
            raise TransferInProgress("an attended transfer is under way")
        return call

    async def transfer_call(
        self, agent_id: str, mode: str, kind: str, value: str
    ) -> dict[str, Any]:
        """Blind or attended transfer of the agent's call to a queue, an agent or a number."""
        async with self._lock:
            call = self._may_transfer(agent_id)
            self._transfer_target(call, kind, value)
            if mode == "attended":
                return await self._start_consultation(call, kind, value)
            channel = self._agent_channel(call)
            if kind == "queue":
                await self.actions.blind_transfer(channel, self.contexts.hold, "s")
            elif kind == "number":
                out = self.actions.contexts.transfer_out
                await self.actions.blind_transfer(channel, out, value)
            else:
                await self._ring_by_transfer(call, channel, value)
            await self._transferred(call, kind, value)
            return {"call_id": call.call_id, "mode": mode, "target": {"type": kind, "value": value}}

    async def _ring_by_transfer(self, call: StoredCall, channel: str, agent_id: str) -> None:
        """Setvar the target agent's interface on the caller, then BlindTransfer the agent's leg
        to [connect] (the offer that follows does not ring him again)."""
        target = self.agents[agent_id]
        config = self.router.configs.get(call.queue)
        ring = config.ring_timeout if config is not None else 20.0
        await self.actions.set_var(call.channel, "AGENT_INTERFACE", target.interface)
        await self.actions.set_var(call.channel, "RING_TIMEOUT", str(max(1, round(ring))))
        exten = agent_id if _EXTEN.fullmatch(agent_id) else "00"
        await self.actions.blind_transfer(channel, self.contexts.connect, exten)
        self._rung_by_transfer.add(call.call_id)

    async def _transferred(
        self, call: StoredCall, kind: str, value: str, route: bool = True
    ) -> None:
        """The books of a transfer Asterisk took: TRANSFER for the agent (wrap-up), then the
        caller routed again (queue, agent) or out of the ACD."""
        now = self.clock()
        agent = call.agent or ""
        try:
            decisions = self.router.call_transferred(call.call_id, now, kind, value, route=route)
        except AcdError as exc:  # checked before; a race with the router's own events
            log.warning("acd_transfer_books_failed", linkedid=call.call_id, error=str(exc))
            self._rung_by_transfer.discard(call.call_id)
            return
        if self.router.agent(agent).state in (AgentState.WRAP_UP,):
            self._wrapping[agent] = call.call_id
        else:
            await self.store.release(agent, call.call_id)
        # his call is over for him: he keeps seeing it (as it was) through his wrap-up
        mine = replace(call, ended_at=now, state=CallState.WRAP_UP, held=False, held_leg=None)
        self.agent_calls[agent] = mine
        self._tell("ended", agent, mine)
        log.info("acd_call_transferred", linkedid=call.call_id, agent=agent, kind=kind,
                 target=value, routed=route and kind != "number")  # fmt: skip
        if kind == "number" or not route:
            self.calls.pop(call.call_id, None)
            await self.store.remove_call(call.call_id)
        else:
            call.back_in_line()
            call.queue = value if kind == "queue" else call.queue
            call.entered_at, call.answered_at, call.agent_hung_up = now, None, None
            call.held, call.held_leg = False, None
            await self.store.save_call(call)
        await self._run(decisions)

    async def _start_consultation(self, call: StoredCall, kind: str, value: str) -> dict[str, Any]:
        if kind == "queue":
            raise UnknownTarget(
                "an attended transfer goes to an agent or a number; send a caller to a queue "
                "with a blind transfer"
            )
        channel = self._agent_channel(call)
        exten = value.lstrip("+")
        await self.actions.attended_transfer(channel, exten)
        if kind == "agent":  # kept away from offers while consulted
            await self._run(self.router.pause(value, ON_CALL, self.clock()))
        self._consulting[call.call_id] = Consultation(kind, value, exten)
        log.info("acd_transfer_consulting", linkedid=call.call_id, kind=kind, target=value)
        return {"call_id": call.call_id, "mode": "attended",
                "target": {"type": kind, "value": value}}  # fmt: skip

    def _consulting_call(self, agent_id: str) -> tuple[StoredCall, Consultation]:
        call = self._connected(agent_id)
        consult = self._consulting.get(call.call_id)
        if consult is None:
            raise NoTransfer(f"call {call.call_id} has no attended transfer under way")
        return call, consult

    async def complete_transfer(self, agent_id: str) -> dict[str, Any]:
        """The agent leaves: Asterisk joins the caller and the target (hang up of his leg)."""
        async with self._lock:
            call, consult = self._consulting_call(agent_id)
            await self.actions.hangup(self._agent_channel(call))
            del self._consulting[call.call_id]
            if consult.kind == "agent":
                self._handed[call.call_id] = (consult.target, call.queue)
            await self._transferred(call, consult.kind, consult.target, route=False)
            return {"call_id": call.call_id, "completed": True}

    async def cancel_transfer(self, agent_id: str) -> dict[str, Any]:
        """Hang up the target's consultation leg: the agent is back with his caller."""
        async with self._lock:
            call, consult = self._consulting_call(agent_id)
            prefix = f"Local/{consult.exten}@{self.actions.contexts.consult}-"
            found = [
                ch.name
                for ch in self.link.tracker.channels(self.server)
                if ch.name.startswith(prefix) and ch.name.endswith(";1")
            ]
            if not found:
                raise NoTransfer("the target's leg is not up yet; try again in a moment")
            await self.actions.hangup(found[-1])
            del self._consulting[call.call_id]
            if consult.kind == "agent":
                await self._run(self.router.unpause(consult.target, self.clock()))
            log.info("acd_transfer_cancelled", linkedid=call.call_id, target=consult.target)
            return {"call_id": call.call_id, "cancelled": True}

    # ------------------------------------------------------------------ click-to-call
    async def click_to_call(
        self,
        agent_id: str,
        number: str,
        customer_id: str | None = None,
        variables: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Ring the agent's phone; his answer dials ``number`` through [outbound] (with
        ``variables`` on the agent's channel: a preview campaign's)."""
        if not NUMBER.fullmatch(number):
            raise UnknownTarget(f"{number!r} is not a phone number")
        async with self._lock:
            self._logged_in(agent_id)
            view = self.router.agent(agent_id)
            busy = self.current_call(agent_id) is not None or agent_id in self._outbound
            if busy or view.state not in (AgentState.AVAILABLE, AgentState.PAUSED):
                raise AgentBusy(f"agent {agent_id} is {view.state.value}: not free to call out")
            if view.pause_reason in (ON_CALL, OUTBOUND):
                raise AgentBusy(f"agent {agent_id} is on a call")
            before = view.pause_reason if view.state is AgentState.PAUSED else None
            now = self.clock()
            decisions = self.router.pause(agent_id, OUTBOUND, now)
            try:
                action_id = await self.actions.click_to_call(
                    self.agents[agent_id].interface, number.lstrip("+"), agent_id, variables
                )
            except AcdError:
                await self._run(decisions + self._back_from_outbound(agent_id, before))
                raise
            placed = OutboundCall(agent_id, number, action_id, before, customer_id, placed_at=now)
            self._outbound[agent_id] = placed
            await self._run(decisions)
            log.info("acd_click_to_call", agent=agent_id, action_id=action_id)
            return {"action_id": action_id, "number": number}

    async def hold_for_preview(self, agent_id: str) -> bool:
        """Keep offers away from an available agent while a preview lead is on his desk
        (paused ``preview lead``); False (nothing changed) when he is not available and on
        no call, or not logged in. Held already: True."""
        async with self._lock:
            if agent_id not in self.agents or agent_id not in self.router.agents:
                return False
            view = self.router.agent(agent_id)
            if view.state is AgentState.PAUSED and view.pause_reason == PREVIEW:
                return True
            busy = self.current_call(agent_id) is not None or agent_id in self._outbound
            if busy or view.state is not AgentState.AVAILABLE:
                return False
            decisions = self.router.pause(agent_id, PREVIEW, self.clock())
            log.info("acd_preview_hold", agent=agent_id)
            await self._run(decisions)
            self._tell("state", agent_id)
            return True

    async def release_preview(self, agent_id: str) -> None:
        """The preview lead left the agent's desk (skipped, let go): available again if he
        is still held for it (a pause he chose meanwhile, or his dial, is left alone)."""
        async with self._lock:
            if agent_id not in self.router.agents:
                return
            view = self.router.agent(agent_id)
            if view.state is not AgentState.PAUSED or view.pause_reason != PREVIEW:
                return
            decisions = self.router.unpause(agent_id, self.clock())
            log.info("acd_preview_released", agent=agent_id)
            await self._run(decisions)
            self._tell("state", agent_id)

    def _back_from_outbound(self, agent_id: str, before: str | None) -> list[Any]:
        if agent_id not in self.router.agents:
            return []
        if self.router.agent(agent_id).pause_reason != OUTBOUND:
            return []
        now = self.clock()
        if before is None:
            return self.router.unpause(agent_id, now)
        return self.router.pause(agent_id, before, now)

    async def _outbound_over(self, outbound: OutboundCall, why: str) -> None:
        self._outbound.pop(outbound.agent, None)
        log.info("acd_outbound_ended", agent=outbound.agent, linkedid=outbound.linkedid, why=why)
        before = outbound.paused_before
        if before == PREVIEW and outbound.linkedid is not None:
            before = None  # the preview lead was dialled: his call is over, he is available
        await self._run(self._back_from_outbound(outbound.agent, before))

    # ------------------------------------------------------------------ records
    async def _on_record(self, record: Any) -> None:
        if getattr(record, "server", None) == self.server:
            if isinstance(record, OriginateResult):
                outbound = next(
                    (o for o in self._outbound.values() if o.action_id == record.action_id), None
                )
                if outbound is not None:
                    if record.success and record.linkedid:
                        outbound.linkedid = record.linkedid
                        outbound.answered_at = self.clock()
                        self._tell("state", outbound.agent)  # his desk shows the call placed
                        log.info("acd_outbound_agent_answered", agent=outbound.agent,
                                 linkedid=record.linkedid)  # fmt: skip
                    else:
                        await self._outbound_over(outbound, f"not answered ({record.reason})")
                    return
            elif isinstance(record, CallEnded):
                for outbound in list(self._outbound.values()):
                    if outbound.linkedid == record.linkedid:
                        await self._outbound_over(outbound, "ended")
                handed = self._handed.pop(record.linkedid, None)
                if handed is not None:
                    agent, queue = handed
                    await self._run(self._after_restored(agent, queue, self.clock()))
            elif isinstance(record, ChannelHungUp):
                await self._held_side_left(record)
        await super()._on_record(record)

    async def _held_side_left(self, record: ChannelHungUp) -> None:
        """One side of a held call hung up: nothing would bring the other back; end it."""
        call = self.calls.get(record.linkedid)
        if call is None or not call.held or call.state is not CallState.CONNECTED:
            return
        if leg(record.channel) == leg(call.channel):
            other = call.held_leg
        elif call.held_leg and leg(record.channel) == leg(call.held_leg):
            other, call.agent_hung_up = call.channel, True
        else:
            return
        call.held = False
        log.info("acd_held_call_side_left", linkedid=call.call_id, channel=record.channel)
        if other:
            try:
                await self.actions.hangup(other)
            except AcdError as exc:
                log.info("acd_held_call_other_side_gone", linkedid=call.call_id, error=str(exc))

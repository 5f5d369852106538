"""The ACD as the dialer's :class:`campaigns.port.AgentHandoff` (``acd.live`` adapter)."""

from __future__ import annotations

from collections.abc import Mapping

from acd.domain import AgentState
from acd.live import InboundAcd, OutboundAnswered
from campaigns.port import BusyAgent, PersonReached, QueueAgentsView


class AcdHandoff:
    """Answered people join the campaign's queue in the inbound ACD, blended by priority."""

    def __init__(self, acd: InboundAcd) -> None:
        self.acd = acd

    def queue_agents(self, queue: str) -> QueueAgentsView:
        """Agents of the queue: free ones (less the callers already waiting) and each busy
        one's state (ringing, on a call, in wrap-up with the wrap-up left)."""
        agents = self.acd.queue_agents(queue)
        busy = [BusyAgent(b.state, b.seconds, b.wrap_left) for b in agents.busy]
        return QueueAgentsView(agents.free, busy, agents.wrap_up_seconds)

    def person_reached(self, person: PersonReached) -> None:
        """Queue the person (the ACD's inbox; returns at once)."""
        self.acd.outbound_answered(
            OutboundAnswered(
                call_id=person.call_id,
                channel=person.channel,
                queue=person.queue,
                number=person.number,
                campaign_id=person.campaign_id,
                lead_id=person.lead_id,
                customer_id=person.customer_id,
                priority=person.priority,
            )
        )

    async def withdraw(self, call_id: str) -> bool:
        """Out of the queue unless already answered by an agent."""
        return await self.acd.withdraw(call_id)

    def agent_serves(self, agent_id: str, queue: str) -> bool:
        """Logged in with the queue's skills, available and not placing a call."""
        return self.acd.agent_serves(agent_id, queue) and self.agent_free(agent_id)

    def agent_free(self, agent_id: str) -> bool:
        """Logged in, available and on no call."""
        if agent_id not in self.acd.agents or agent_id not in self.acd.router.agents:
            return False
        view = self.acd.router.agent(agent_id)
        return view.state is AgentState.AVAILABLE and self.acd.current_call(agent_id) is None

    async def hold_for_preview(self, agent_id: str) -> bool:
        """Paused ``preview lead`` in the ACD while the lead is on his desk."""
        return await self.acd.hold_for_preview(agent_id)

    async def release_preview(self, agent_id: str) -> None:
        """Available again unless he dialled or paused meanwhile."""
        await self.acd.release_preview(agent_id)

    async def agent_dial(
        self, agent_id: str, number: str, customer_id: str | None, variables: Mapping[str, str]
    ) -> str:
        """The ACD's click-to-call with the campaign's variables; its ActionID."""
        placed = await self.acd.click_to_call(agent_id, number, customer_id, dict(variables))
        return str(placed["action_id"])

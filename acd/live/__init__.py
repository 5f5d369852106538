"""The ACD's adapters: live routing against Asterisk, its state store, SQL configuration."""

from acd.live.call import CallState, OutboundAnswered
from acd.live.outbound import BusyAgent, QueueAgents
from acd.live.service import AcdNotReady, AgentConfig, InboundAcd
from acd.live.store import AcdStore, MemoryStore, RedisStore, StoredAgent, StoredCall

__all__ = [
    "AcdNotReady",
    "AcdStore",
    "AgentConfig",
    "BusyAgent",
    "CallState",
    "InboundAcd",
    "MemoryStore",
    "OutboundAnswered",
    "QueueAgents",
    "RedisStore",
    "StoredAgent",
    "StoredCall",
]

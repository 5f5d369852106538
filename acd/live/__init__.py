"""The ACD's adapters: live routing against Asterisk, its state store, SQL configuration."""

from acd.live.call import CallState
from acd.live.service import AcdNotReady, AgentConfig, InboundAcd
from acd.live.store import AcdStore, MemoryStore, RedisStore, StoredAgent, StoredCall

__all__ = [
    "AcdNotReady",
    "AcdStore",
    "AgentConfig",
    "CallState",
    "InboundAcd",
    "MemoryStore",
    "RedisStore",
    "StoredAgent",
    "StoredCall",
]

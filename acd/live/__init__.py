"""The ACD's adapters: live routing against Asterisk, its state store, SQL configuration."""

from acd.domain import AgentConfig
from acd.live.service import AcdNotReady, InboundAcd
from acd.live.store import AcdStore, MemoryStore, RedisStore, StoredAgent, StoredCall

__all__ = [
    "AcdNotReady",
    "AcdStore",
    "AgentConfig",
    "InboundAcd",
    "MemoryStore",
    "RedisStore",
    "StoredAgent",
    "StoredCall",
]

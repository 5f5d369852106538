"""The supervisor's live floor: one state built for every page, its changes pushed to them."""

from atende.floor.hub import FloorClient, FloorHub
from atende.floor.source import FloorSource, RedisWatch
from atende.floor.state import Floor, changes

__all__ = ["Floor", "FloorClient", "FloorHub", "FloorSource", "RedisWatch", "changes"]

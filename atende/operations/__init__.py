"""Operations: readiness checks, Prometheus metrics computed at scrape time, event-loop lag."""

from atende.operations.health import Check, Readiness
from atende.operations.metrics import EngineMetrics, LoopLag, MeteredAsteriskLink
from atende.operations.runtime import Operations

__all__ = ["Check", "EngineMetrics", "LoopLag", "MeteredAsteriskLink", "Operations", "Readiness"]

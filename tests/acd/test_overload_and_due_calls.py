"""The router names the calls its next tick would act on; the overload rule keeps callers past
capacity until the ACD is level (pure, time passed in)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from acd.domain import QueueConfig, Router
from acd.live.overload import Overload


def test_due_calls_name_the_ring_timeouts_and_max_waits_a_tick_would_take() -> None:
    """A ringing call is due at its ring timeout, a waiting one at its max wait; asking
    changes nothing, and once the tick acted they are no longer due."""
    router = Router([QueueConfig(name="sales", skills={"s": 1}, ring_timeout=10, max_wait=60)])
    router.login("a1", {"s": 1}, 0.0)
    router.call_arrived("rings", "sales", 1.0)  # offered to a1 at once
    router.call_arrived("waits", "sales", 2.0)
    assert router.due_calls(5.0) == set()
    late_ring = router.due_calls(40.0)
    assert "rings" in late_ring and "waits" not in late_ring
    assert router.due_calls(40.0) == late_ring  # a question only
    assert router.due_calls(100.0) >= {"rings", "waits"}
    router.tick(100.0)
    assert "rings" not in router.due_calls(100.0)


@given(
    st.lists(
        st.tuples(st.floats(0, 20), st.integers(0, 10)),
        min_size=1,
        max_size=60,
    ),
    st.floats(0.5, 10),
    st.integers(0, 6),
)
def test_overload_keeps_every_new_caller_until_level(
    steps: list[tuple[float, int]], max_backlog: float, max_calls: int
) -> None:
    """Once a caller is refused, every caller is refused until ``end`` finds the ACD level;
    ``end`` never ends an overload while still past capacity; kept callers are counted."""
    guard = Overload(max_backlog, max_calls)
    refused = 0
    for n, (backlog, calls) in enumerate(steps):
        was_active = guard.active
        admitted = guard.admit(backlog, calls, float(n))
        if was_active or guard.over(backlog, calls):
            assert not admitted
        else:
            assert admitted
        refused += not admitted
        ended = guard.end(backlog, calls)
        if ended:
            assert backlog <= max_backlog / 2 and not (0 < max_calls <= calls)
            assert not guard.active
    assert guard.kept_total == refused

"""Each strategy picks the free agent its name promises."""

from __future__ import annotations

from acd.domain import QueueConfig, Router, Strategy

from .helpers import offers


def serve(router: Router, agent_id: str, call_id: str, start: float, talk: float) -> None:
    """Route ``call_id`` to ``agent_id`` and complete it after ``talk`` seconds."""
    router.agent_answered(call_id, start)
    router.call_ended(call_id, start + talk)


def test_longest_idle_is_the_default() -> None:
    """The agent free the longest (since login or last call) gets the call."""
    router = Router([QueueConfig(name="q")])
    router.login("early", {}, 1.0)
    router.login("late", {}, 5.0)
    assert offers(router.call_arrived("c1", "q", 10.0)) == [("c1", "early")]


def test_longest_idle_counts_from_the_last_call() -> None:
    """An agent who just finished a call goes behind one who has been idle."""
    router = Router([QueueConfig(name="q")])
    router.login("a", {}, 0.0)
    router.login("b", {}, 1.0)
    assert offers(router.call_arrived("c1", "q", 2.0)) == [("c1", "a")]
    serve(router, "a", "c1", 3.0, 10.0)
    assert offers(router.call_arrived("c2", "q", 20.0)) == [("c2", "b")]


def test_fewest_calls() -> None:
    """The agent who answered fewer calls is chosen, even if idle for less time."""
    router = Router([QueueConfig(name="q", strategy=Strategy.FEWEST_CALLS)])
    router.login("busy", {}, 0.0)
    router.call_arrived("c1", "q", 1.0)
    serve(router, "busy", "c1", 1.0, 5.0)
    router.call_arrived("c2", "q", 7.0)
    serve(router, "busy", "c2", 7.0, 5.0)
    router.login("fresh", {}, 100.0)
    assert offers(router.call_arrived("c3", "q", 101.0)) == [("c3", "fresh")]


def test_least_talk_time() -> None:
    """The agent with less total talk time is chosen over one with fewer calls."""
    router = Router([QueueConfig(name="q", strategy=Strategy.LEAST_TALK_TIME)])
    router.login("long", {}, 0.0)
    router.login("short", {}, 0.5)
    router.call_arrived("c1", "q", 1.0)  # long idles longest: takes it
    serve(router, "long", "c1", 1.0, 300.0)
    router.call_arrived("c2", "q", 302.0)
    serve(router, "short", "c2", 302.0, 10.0)
    router.call_arrived("c3", "q", 313.0)
    serve(router, "short", "c3", 313.0, 10.0)
    # short: 2 calls, 20 s; long: 1 call, 300 s
    assert offers(router.call_arrived("c4", "q", 400.0)) == [("c4", "short")]


def test_best_skill() -> None:
    """The most proficient agent wins over the one idle longest."""
    router = Router([QueueConfig(name="q", skills={"spanish": 2}, strategy=Strategy.BEST_SKILL)])
    router.login("ok", {"spanish": 2}, 0.0)
    router.login("expert", {"spanish": 5}, 50.0)
    router.login("unskilled", {"english": 5}, 0.0)
    assert offers(router.call_arrived("c1", "q", 60.0)) == [("c1", "expert")]
    assert offers(router.call_arrived("c2", "q", 61.0)) == [("c2", "ok")]
    assert offers(router.call_arrived("c3", "q", 62.0)) == []


def test_round_robin_remembers_where_it_stopped() -> None:
    """Agents are taken in turn, continuing after the last one offered, wrapping around."""
    router = Router([QueueConfig(name="q", strategy=Strategy.ROUND_ROBIN)])
    for i, name in enumerate(["a", "b", "c"]):
        router.login(name, {"x": 1 + i}, float(i))  # three different profiles
    order = []
    for n in range(5):
        (call, agent), *_ = offers(router.call_arrived(f"c{n}", "q", 10.0 + n))
        order.append(agent)
        serve(router, agent, call, 10.0 + n, 0.1)
    assert order == ["a", "b", "c", "a", "b"]

"""Free agents, grouped by skill profile, and the strategies that pick one of them.

Every profile keeps its free agents in four sorted lists, one per ordering a strategy needs.
Agents of one profile have the same skills, so the best agent of a profile is the head of one
list; choosing for a call compares the heads of the profiles its queue accepts at that moment
(a few hundred at most), never the agents themselves.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Sequence
from typing import Any

from acd.domain.agents import Agent
from acd.domain.queues import Strategy

IdleEntry = tuple[float, int, Agent]  # (idle_since, seq, agent)
CountEntry = tuple[float, float, int, Agent]  # (calls or talk, idle_since, seq, agent)
SeqEntry = tuple[int, Agent]


class ProfilePool:
    """The free agents of one skill profile."""

    __slots__ = ("by_calls", "by_idle", "by_seq", "by_talk")

    def __init__(self) -> None:
        self.by_idle: list[IdleEntry] = []
        self.by_calls: list[CountEntry] = []
        self.by_talk: list[CountEntry] = []
        self.by_seq: list[SeqEntry] = []

    def __len__(self) -> int:
        return len(self.by_seq)

    def add(self, agent: Agent) -> None:
        idle: IdleEntry = (agent.idle_since, agent.seq, agent)
        calls: CountEntry = (float(agent.totals.calls), agent.idle_since, agent.seq, agent)
        talk: CountEntry = (agent.totals.talk_time, agent.idle_since, agent.seq, agent)
        insort(self.by_idle, idle)
        insort(self.by_calls, calls)
        insort(self.by_talk, talk)
        insort(self.by_seq, (agent.seq, agent))
        agent.pool_keys = (idle, calls, talk)

    def remove(self, agent: Agent) -> None:
        keys = agent.pool_keys
        if keys is None:
            raise KeyError(agent.agent_id)
        idle, calls, talk = keys
        _drop(self.by_idle, idle[:2], agent)
        _drop(self.by_calls, calls[:3], agent)
        _drop(self.by_talk, talk[:3], agent)
        _drop(self.by_seq, (agent.seq,), agent)
        agent.pool_keys = None


def _prefix(entry: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(entry[:-1])


def _drop(items: list[Any], key: tuple[Any, ...], agent: Agent) -> None:
    i = bisect_left(items, key, key=_prefix)
    if i >= len(items) or items[i][-1] is not agent:
        raise KeyError(agent.agent_id)
    del items[i]


Candidate = tuple[ProfilePool, int]  # (pool, best-skill score of the profile for the queue)


def pick_agent(strategy: Strategy, candidates: Iterable[Candidate], rr_last: int) -> Agent | None:
    """The free agent ``strategy`` prefers among the pools of the accepted profiles."""
    if strategy is Strategy.ROUND_ROBIN:
        return _round_robin(candidates, rr_last)
    best: Any = None
    best_agent: Agent | None = None
    for pool, score in candidates:
        if not pool.by_seq:
            continue
        key: Any
        if strategy is Strategy.LONGEST_IDLE:
            key = pool.by_idle[0][:2]
        elif strategy is Strategy.FEWEST_CALLS:
            key = pool.by_calls[0][:3]
        elif strategy is Strategy.LEAST_TALK_TIME:
            key = pool.by_talk[0][:3]
        else:  # BEST_SKILL: highest score, then longest idle
            key = (-score, *pool.by_idle[0][:2])
        if best is None or key < best:
            best = key
            best_agent = pool.by_idle[0][2] if strategy in _IDLE_HEADED else _head(pool, strategy)
    return best_agent


_IDLE_HEADED = (Strategy.LONGEST_IDLE, Strategy.BEST_SKILL)


def _head(pool: ProfilePool, strategy: Strategy) -> Agent:
    if strategy is Strategy.FEWEST_CALLS:
        return pool.by_calls[0][3]
    return pool.by_talk[0][3]


def _round_robin(candidates: Iterable[Candidate], rr_last: int) -> Agent | None:
    """The free agent with the next sequence number after the last one offered (wrapping)."""
    after: SeqEntry | None = None
    first: SeqEntry | None = None
    for pool, _ in candidates:
        items = pool.by_seq
        if not items:
            continue
        if first is None or items[0][0] < first[0]:
            first = items[0]
        i = bisect_right(items, rr_last, key=_seq)
        if i < len(items) and (after is None or items[i][0] < after[0]):
            after = items[i]
    chosen = after or first
    return chosen[1] if chosen else None


def _seq(entry: SeqEntry) -> int:
    return entry[0]

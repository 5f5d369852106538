"""Property: the indexed pools pick exactly the agent a brute-force scan would pick."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from acd.domain import Offer, QueueConfig, Router, Strategy

skills = st.dictionaries(st.sampled_from("ab"), st.integers(1, 5), max_size=2)
member = st.tuples(skills, st.lists(st.integers(1, 90), max_size=3))


@settings(max_examples=300, deadline=None)
@given(
    team=st.lists(member, min_size=1, max_size=8),
    strategy=st.sampled_from(
        [
            Strategy.LONGEST_IDLE,
            Strategy.FEWEST_CALLS,
            Strategy.LEAST_TALK_TIME,
            Strategy.BEST_SKILL,
        ]
    ),
    need=st.sampled_from([{}, {}, {"a": 1}, {"b": 2}, {"a": 2, "b": 1}]),
    order=st.randoms(use_true_random=False),
)
def test_strategy_matches_brute_force(
    team: list[tuple[dict[str, int], list[int]]],
    strategy: Strategy,
    need: dict[str, int],
    order: object,
) -> None:
    """After a history of calls, a new call goes to the agent minimising the strategy's key."""
    router = Router([QueueConfig(name="q", skills=need, strategy=strategy), QueueConfig(name="t")])
    now = 0.0
    model: dict[str, dict[str, float]] = {}
    for seq, (agent_skills, _) in enumerate(team):
        agent_id = f"a{seq}"
        now += 1
        router.login(agent_id, agent_skills, now)
        router.pause(agent_id, "setup", now)
        model[agent_id] = {"seq": seq, "idle": now, "calls": 0, "talk": 0.0}
    for agent_id in model:  # each agent alone serves his history on the training queue
        now += 1
        router.unpause(agent_id, now)
        for n, talk in enumerate(team[int(agent_id[1:])][1]):
            call_id = f"{agent_id}-t{n}"
            router.call_arrived(call_id, "t", now)
            router.agent_answered(call_id, now)
            now += talk
            router.call_ended(call_id, now)
            model[agent_id].update(
                idle=now, calls=model[agent_id]["calls"] + 1, talk=model[agent_id]["talk"] + talk
            )
        router.pause(agent_id, "setup", now)
    ids = list(model)
    order.shuffle(ids)  # type: ignore[attr-defined]
    for agent_id in ids:
        now += 1
        router.unpause(agent_id, now)
    decisions = router.call_arrived("final", "q", now + 1)

    def key(agent_id: str) -> tuple[float, ...]:
        m = model[agent_id]
        agent_skills = team[int(agent_id[1:])][0]
        score = sum(agent_skills.get(s, 0) for s in need)
        head = {
            Strategy.LONGEST_IDLE: (),
            Strategy.FEWEST_CALLS: (m["calls"],),
            Strategy.LEAST_TALK_TIME: (m["talk"],),
            Strategy.BEST_SKILL: (-score,),
        }[strategy]
        return (*head, m["idle"], m["seq"])

    able = [
        a for a in model if all(team[int(a[1:])][0].get(s, 0) >= lvl for s, lvl in need.items())
    ]
    if not able:
        assert decisions == []
        return
    expected = min(able, key=key)
    assert decisions == [Offer("final", expected, "q", 15.0)]

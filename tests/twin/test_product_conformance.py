"""The twin running the product's own dialplan and AMI user against the product_* traces.

Each product_* trace was recorded on Asterisk 22.11 running ``asterisk-conf/extensions.conf``
with the lab's phones (``lab-product-extensions.conf``) and the product's ``atende`` AMI user
(its event filters included). The twin runs the same files and is driven with the same
actions; every channel, bridge and action must see the same messages in the same order.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.twin.driver import ProductScenario, replayed_product
from tests.twin.test_conformance import _diff
from tests.twin.traces import Msg, Normaliser, load_agi, load_ami, normalise_env, streams

SCENARIOS = {
    s.name: s
    for s in [
        ProductScenario("product_inbound_answered"),
        ProductScenario("product_redirect_while_ringing"),
        ProductScenario("product_requeue"),
        ProductScenario("product_agi_down", agi_down=True),
        ProductScenario("product_ivr_hangup"),
        ProductScenario(
            "product_answer_while_disconnected",
            after="product_answer_while_disconnected_after",
            after_delay=6.0,
        ),
        ProductScenario(
            "product_ended_while_disconnected",
            after="product_ended_while_disconnected_after",
            after_delay=8.1,
        ),
        ProductScenario("product_queue_exit"),
        ProductScenario("product_missing_prompt", missing=frozenset({"press-1"})),
        ProductScenario("product_missing_greeting", missing=frozenset({"atende-welcome"})),
        ProductScenario("product_hangup_agent_call"),
        ProductScenario("product_spy_listen"),
        ProductScenario("product_spy_whisper"),
        ProductScenario("product_spy_barge"),
        ProductScenario("product_spy_idle_agent"),
        ProductScenario("product_atxfer"),
        ProductScenario("product_click_to_call"),
        ProductScenario("product_click_to_call_local"),
        ProductScenario("product_dialer_noanswer"),
        ProductScenario("product_hold_redirect_bridge"),
        ProductScenario("product_hold_park"),
        ProductScenario("product_blind_transfer"),
        ProductScenario("product_blind_transfer_caller"),
        # features.conf atxfer => *2 in the lab; the Dial gave no t: the digits reach the caller
        ProductScenario("product_atxfer_featurecode", features=(("atxfer", "*2"),)),
        # the engine's Setvar CONNECT_DIAL_OPTIONS=m(default)tT gives the agent's leg the
        # transfer feature: the digits are consumed
        ProductScenario("product_atxfer_enabled", features=(("atxfer", "*2"),)),
        # what AMD() and WaitForSilence heard from the lab's customers (their README row)
        ProductScenario("product_dialer_human", amd=("HUMAN", "HUMAN-800-800", 3.0)),
        ProductScenario("product_dialer_abandon", amd=("HUMAN", "HUMAN-800-800", 3.0)),
        ProductScenario(
            "product_dialer_machine",
            amd=("MACHINE", "LONGGREETING-1500-1500", 2.2),
            silence_after=8.7,
        ),
        ProductScenario(
            "product_dialer_silent",
            amd=("MACHINE", "INITIALSILENCE-2500-2500", 3.0),
            silence_after=1.5,
        ),
    ]
}


#: Asterisk's thread races seen in a recording: in product_answer_while_disconnected and
#: product_dialer_human the agent's phone went Ringing before Dial published DialBegin (the
#: other recordings show DialBegin first), so DialBegin's DestChannelState is that race's
#: outcome.
RACES: dict[str, frozenset[str]] = {
    "product_answer_while_disconnected": frozenset({"DestChannelState", "DestChannelStateDesc"}),
    "product_dialer_human": frozenset({"DestChannelState", "DestChannelStateDesc"}),
}
#: Events left out of a recording's comparison: Asterisk publishes a Local device's state from
#: its own thread and coalesces changes of both halves (product_click_to_call_unfiltered shows
#: two INUSE and three NOT_INUSE for one call), so their number is not the twin's to copy.
DROPPED: dict[str, frozenset[str]] = {
    "product_click_to_call": frozenset({"DeviceStateChange"}),
}


def _grouped(names: list[str]) -> list[object]:
    """Scenario names as parameters grouped by scenario: under ``--dist loadgroup`` a
    scenario's tests run in one process and share its replay (run once, see the driver)."""
    return [pytest.param(n, marks=pytest.mark.xdist_group(n)) for n in names]


def _masked(messages: list[Msg], fields: frozenset[str]) -> list[Msg]:
    """DialBegin with the racing fields masked."""
    if not fields:
        return messages
    return [
        tuple((k, "*" if k in fields else v) for k, v in m)
        if dict(m).get("Event") == "DialBegin"
        else m
        for m in messages
    ]


def _connections(scenario: ProductScenario) -> list[str]:
    names = [scenario.first, scenario.after, scenario.viewer]
    return [n for n in names if n]


@pytest.mark.parametrize("name", _grouped(list(SCENARIOS)))
async def test_twin_matches_product_trace(name: str) -> None:
    """Each channel, bridge and action of every recorded connection sees the same messages,
    fields and values in the same order as on Asterisk."""
    scenario = SCENARIOS[name]
    result = await replayed_product(scenario)
    problems = []
    for connection in _connections(scenario):
        trace, got = load_ami(connection), result.replays[connection]
        assert got.banner == trace.banner
        race, drop = RACES.get(name, frozenset()), DROPPED.get(name, frozenset())
        want_streams = streams(_masked(trace.received, race), drop)
        got_streams = streams(_masked(got.received, race), drop)
        for key in sorted(set(want_streams) | set(got_streams)):
            want, have = want_streams.get(key, []), got_streams.get(key, [])
            if want != have:
                problems.append(f"{connection} {key}:\n{_diff(want, have)}")
    assert not problems, f"{len(problems)} streams differ\n" + "\n".join(problems[:6])


@pytest.mark.parametrize("name", _grouped(list(SCENARIOS)))
async def test_twin_answers_each_product_action_with_the_same_messages(name: str) -> None:
    """Between one action and the next the twin sends the same messages as Asterisk did
    (within such a phase the interleaving of channels is Asterisk's thread race)."""
    scenario = SCENARIOS[name]
    result = await replayed_product(scenario)
    for connection in _connections(scenario):
        trace, got = load_ami(connection), result.replays[connection]
        want_bounds = [s.expected_before for s in trace.sends] + [len(trace.received)]
        got_bounds = [*got.sent_at, len(got.received)]
        assert len(got_bounds) == len(want_bounds)
        race = RACES.get(name, frozenset())
        wanted, gotten = _masked(trace.received, race), _masked(got.received, race)
        want_norm, got_norm = Normaliser(wanted), Normaliser(gotten)

        def phase(messages: list[Msg], norm: Normaliser, start: int, end: int) -> Counter[Msg]:
            drop = DROPPED.get(name, frozenset())
            return Counter(
                norm.message(m) for m in messages[start:end] if dict(m).get("Event") not in drop
            )

        want_start = got_start = 0
        for want_end, got_end in zip(want_bounds, got_bounds, strict=True):
            want = phase(wanted, want_norm, want_start, want_end)
            have = phase(gotten, got_norm, got_start, got_end)
            assert want == have, (
                f"{connection} before action {want_end}: missing {want - have}, extra {have - want}"
            )
            want_start, got_start = want_end, got_end


@pytest.mark.parametrize("name", _grouped([n for n in SCENARIOS if load_agi(n)]))
async def test_product_agi_sessions_match_trace(name: str) -> None:
    """The FastAGI environment and every answer are the ones Asterisk gave."""
    result = await replayed_product(SCENARIOS[name])
    recorded = load_agi(name)
    assert len(result.agi) == len(recorded)
    for want, got in zip(recorded, result.agi, strict=True):
        assert normalise_env(got.env) == normalise_env(want.env)
        assert got.exchanges == want.exchanges

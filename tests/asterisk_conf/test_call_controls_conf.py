"""The dialplan and features.conf behind the agent's call controls (hold, transfers, outbound)."""

from __future__ import annotations

from typing import Any


def test_hold_contexts_keep_both_legs_until_one_hangs_up(dialplan: Any) -> None:
    """[call-hold] plays music to the caller, [agent-hold] keeps the agent's leg waiting; after
    the unhold's Bridge each goes on at its next priority, which hangs up."""
    caller = [(s.app, s.args) for s in dialplan["call-hold"]["s"]]
    agent = [(s.app, s.args) for s in dialplan["agent-hold"]["s"]]
    assert ("MusicOnHold", "default,${HOLD_MAX}") in caller
    assert ("Wait", "${HOLD_MAX}") in agent
    assert caller[-1][0] == agent[-1][0] == "Hangup"


def test_transfer_out_dials_the_number_through_the_trunk(dialplan: Any) -> None:
    """A caller blind-transferred to a number dials it through the trunk, with the site's id."""
    steps = [(s.app, s.args) for s in dialplan["transfer-out"]["_X."]]
    assert ("Dial", "PJSIP/${EXTEN}@${TRUNK},${OUTBOUND_RING_TIMEOUT}") in steps
    assert ("Set", "CALLERID(num)=${OUTBOUND_CALLERID}") in steps


def test_features_conf_has_an_attended_transfer_code(conf: Any) -> None:
    """Without an atxfer code Asterisk refuses AMI Atxfer; blind transfers need none."""
    features = conf("features.conf")
    featuremap = features.one("featuremap")
    assert featuremap.get("atxfer") == "*2"
    assert featuremap.get("blindxfer") is None
    assert features.one("general").get("atxferdropcall") == "no"

"""Several AMI actions in one write, against the twin over TCP: answers in order, an error
answer reported for its own action only."""

from __future__ import annotations

from pydantic import SecretStr

from telephony.ami import AmiActionError
from telephony.ami.config import AmiServer
from telephony.link import AsteriskLink
from telephony.twin import AmiUser, Twin, TwinConfig


async def test_actions_sent_together_are_answered_each_in_order() -> None:
    """Ping, a Setvar on a channel the twin does not have, Ping: the first and last succeed,
    the middle one is an AmiActionError naming Setvar; a variable set on a live channel by
    the same batch is there afterwards."""
    twin = Twin(TwinConfig(ami_port=0, users={"atende": AmiUser("atende")}))
    port = await twin.start()
    link = AsteriskLink(
        [AmiServer(name="pbx1", port=port, username="atende", secret=SecretStr("atende"))]
    )
    await link.start()
    try:
        await link.wait_synced("pbx1", timeout=10)
        caller = await twin.place_inbound_call("1133330001", "5511999990001")
        assert caller is not None
        first, missing, variable, last = await link.send_actions(
            "pbx1",
            [
                {"Action": "Ping"},
                {"Action": "Setvar", "Channel": "PJSIP/nobody-1", "Variable": "X", "Value": "1"},
                {"Action": "Setvar", "Channel": caller.name, "Variable": "X", "Value": "42"},
                {"Action": "Ping"},
            ],
        )
        assert not isinstance(first, Exception) and first.response["Ping"] == "Pong"
        assert isinstance(missing, AmiActionError) and missing.action == "Setvar"
        assert not isinstance(variable, Exception) and variable.response.ok
        assert not isinstance(last, Exception) and last.response["Ping"] == "Pong"
        got = await link.send_action(
            "pbx1", {"Action": "Getvar", "Channel": caller.name, "Variable": "X"}
        )
        assert got.response["Value"] == "42"
    finally:
        await link.stop()
        await twin.stop()

"""The default inbound menu over real TCP for every key a caller can press."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ivr import CallerRouted, default_menu, route_caller
from ivr.agi_route import InboundIvr
from telephony.agi import AgiServer, parse_environment
from telephony.agi.replay import drive_session, load_agi_trace

TRACES = Path(__file__).resolve().parents[1] / "fixtures" / "asterisk-traces"


class Channel:
    """Answers FastAGI commands the way Asterisk does for a caller who presses ``keys``."""

    def __init__(self, caller: str, keys: str) -> None:
        self.caller = caller
        self.keys = keys
        self.variables: dict[str, str] = {}

    def respond(self, command: str) -> str:
        words = command.split(" ", 2)
        if command == "ANSWER":
            return "200 result=0"
        if words[:2] == ["SET", "VARIABLE"]:
            name, value = words[2].split(" ", 1)
            self.variables[name] = value
            return "200 result=1"
        if words[:2] == ["STREAM", "FILE"]:
            return "200 result=0 endpos=11360"
        if words[:2] == ["GET", "DATA"]:  # '#' ends the input and is not returned
            typed = self.keys.split("#")[0]
            return f"200 result={typed}" if typed or "#" in self.keys else "200 result= (timeout)"
        if command == "GET VARIABLE CALLERID(num)":
            return f"200 result=1 ({self.caller})"
        if words[0] == "VERBOSE":
            return "200 result=1"
        return "510 Invalid or unknown command"


@pytest.mark.parametrize("keys", ["", "1", "2", "3", "4", "9", "0", "*", "#"])
async def test_each_key_sets_the_route_the_menu_decides(keys: str) -> None:
    """Whatever key is pressed, ROUTE on the channel and the decision reported agree with
    the pure menu, and the caller is reported once."""
    (recorded,) = load_agi_trace(TRACES / "inbound_routed.agi.jsonl")
    env = parse_environment(list(recorded.environment))
    decisions: asyncio.Queue[CallerRouted] = asyncio.Queue()
    server = AgiServer({"inbound": InboundIvr(default_menu(), decisions.put_nowait)}, port=0)
    await server.start()
    channel = Channel("5511999990001", keys)
    try:
        commands = await drive_session("127.0.0.1", server.port, env.lines(), channel.respond)
    finally:
        await server.stop()
    typed = keys.split("#")[0]
    expected = route_caller(default_menu(), "5511999990001", typed)
    assert channel.variables["ROUTE"] == f"queue:{expected.queue}"
    assert commands[-1] == 'VERBOSE "ivr done" 1'
    event = decisions.get_nowait()
    assert (event.queue, event.digits, event.reason) == (
        expected.queue,
        typed,
        expected.reason,
    )
    assert decisions.empty()

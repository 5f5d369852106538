"""The default inbound menu over real TCP for every key a caller can press."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from ivr import CallerRouted, IvrMenu, default_menu, did_menu, route_caller
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


async def test_menu_chosen_by_the_number_dialled() -> None:
    """A DID with its own menu (here: straight to collections) gets it; others the default."""
    (recorded,) = load_agi_trace(TRACES / "inbound_routed.agi.jsonl")
    env = parse_environment(list(recorded.environment))
    collections_line = IvrMenu(
        options={},
        default_queue="cobranca",
        greeting=None,
        prompt=None,
        record_start=False,
        read_caller_from_channel=False,
        done_message=None,
    )
    decisions: asyncio.Queue[CallerRouted] = asyncio.Queue()
    route = InboundIvr(
        default_menu(), decisions.put_nowait, menus_by_did={"+55 11 3000-0002": collections_line}
    )
    server = AgiServer({"inbound": route}, port=0)
    await server.start()
    try:
        other = replace(env, extension="551130000002").lines()
        commands = await drive_session(
            "127.0.0.1", server.port, other, Channel("5511999990001", "").respond
        )
        assert commands == ["ANSWER", "SET VARIABLE ROUTE queue:cobranca"]
        commands = await drive_session(
            "127.0.0.1", server.port, env.lines(), Channel("5511999990001", "").respond
        )
        assert commands[-2:] == ["SET VARIABLE ROUTE queue:vendas", 'VERBOSE "ivr done" 1']
    finally:
        await server.stop()
    assert [decisions.get_nowait().queue for _ in range(2)] == ["cobranca", "vendas"]


def test_did_without_digits_is_refused() -> None:
    """A DID key that holds no number is a configuration error, reported at once."""
    with pytest.raises(ValueError, match="no digits"):
        InboundIvr(default_menu(), print, menus_by_did={"main line": default_menu()})


async def test_a_did_menu_sends_only_the_route() -> None:
    """A number dialled straight to a queue (``did_menu``) plays nothing: the session sends
    SET VARIABLE ROUTE and nothing else, and reports the caller from the AGI environment;
    asked for a tax id it answers the channel first and reads the keys."""
    (recorded,) = load_agi_trace(TRACES / "inbound_routed.agi.jsonl")
    env = parse_environment(list(recorded.environment))
    decisions: asyncio.Queue[CallerRouted] = asyncio.Queue()
    route = InboundIvr(
        default_menu(),
        decisions.put_nowait,
        menus_by_did={
            "1133330002": did_menu("suporte"),
            "1133330003": did_menu("cobranca", "beep"),
        },
    )
    server = AgiServer({"inbound": route}, port=0)
    await server.start()
    try:
        direct = replace(env, extension="1133330002").lines()
        commands = await drive_session(
            "127.0.0.1", server.port, direct, Channel("5511999990001", "").respond
        )
        assert commands == ["SET VARIABLE ROUTE queue:suporte"]
        asked = replace(env, extension="1133330003").lines()
        commands = await drive_session(
            "127.0.0.1", server.port, asked, Channel("5511999990001", "").respond
        )
        assert commands[0] == "ANSWER"
        assert any(c.startswith("GET DATA beep") for c in commands)
        assert "SET VARIABLE ROUTE queue:cobranca" in commands
    finally:
        await server.stop()
    routed = [decisions.get_nowait() for _ in range(2)]
    assert [(r.queue, r.caller) for r in routed] == [
        ("suporte", env.callerid),
        ("cobranca", env.callerid),
    ]
    with pytest.raises(ValueError, match="must answer"):
        replace(did_menu("vendas"), greeting="atende-welcome")

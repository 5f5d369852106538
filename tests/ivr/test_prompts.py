"""The menu's prompts: only sounds a stock Asterisk has or the product ships, and a missing
one never silently disables the menu (over real TCP against the FastAGI server)."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
import structlog.testing

from ivr import CallerRouted, default_menu
from ivr.agi_route import InboundIvr
from ivr.callback_offer import CallbackOffer
from telephony.agi import AgiServer, parse_environment
from telephony.agi.replay import drive_session, load_agi_trace

ROOT = Path(__file__).resolve().parents[2]
TRACES = ROOT / "tests" / "fixtures" / "asterisk-traces"
CORE_SOUNDS = {
    line
    for line in (ROOT / "tests" / "fixtures" / "core-sounds-en.txt").read_text().splitlines()
    if line and not line.startswith("#")
}
SHIPPED = ROOT / "asterisk-conf" / "sounds"
AT = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


class Asterisk:
    """Answers FastAGI as Asterisk does given the sound files it has (answers as recorded in
    product_missing_prompt / product_missing_greeting) and a caller who presses ``key``."""

    def __init__(self, sounds: set[str], key: str = "") -> None:
        self.sounds, self.key = sounds, key
        self.variables: dict[str, str] = {}

    def respond(self, command: str) -> str:
        words = command.split(" ")
        if command == "ANSWER" or words[0] == "VERBOSE":
            return "200 result=0" if command == "ANSWER" else "200 result=1"
        if words[:2] == ["SET", "VARIABLE"]:
            self.variables[words[2]] = " ".join(words[3:])
            return "200 result=1"
        if words[:2] == ["STREAM", "FILE"]:
            return (
                "200 result=0 endpos=8000" if words[2] in self.sounds else "200 result=-1 endpos=0"
            )
        if words[:2] == ["GET", "DATA"]:
            if words[2] not in self.sounds:
                return "200 result=-1"  # at once: Asterisk does not wait for a key
            return f"200 result={self.key}" if self.key else "200 result= (timeout)"
        if command == "GET VARIABLE CALLERID(num)":
            return "200 result=1 (5511999990107)"
        return "510 Invalid or unknown command"


async def _run(asterisk: Asterisk) -> tuple[list[str], list[CallerRouted], list[dict[str, Any]]]:
    (recorded,) = load_agi_trace(TRACES / "product_missing_prompt.agi.jsonl")
    env = parse_environment(list(recorded.environment))
    decisions: asyncio.Queue[CallerRouted] = asyncio.Queue()
    ivr = InboundIvr(default_menu(), decisions.put_nowait, clock=lambda: AT)
    server = AgiServer({"inbound": ivr}, host="127.0.0.1", port=0)
    await server.start()
    try:
        with structlog.testing.capture_logs() as logs:
            commands = await drive_session("127.0.0.1", server.port, env.lines(), asterisk.respond)
    finally:
        await server.stop()
    return commands, [decisions.get_nowait() for _ in range(decisions.qsize())], logs


def test_recorded_answers_of_missing_files() -> None:
    """The stand-in above answers as the recordings show Asterisk does for missing files."""
    (prompt,) = load_agi_trace(TRACES / "product_missing_prompt.agi.jsonl")
    (greeting,) = load_agi_trace(TRACES / "product_missing_greeting.agi.jsonl")
    lab = Asterisk({"hello-world"})
    assert {s.command: s.answer for s in prompt.steps}["GET DATA press-1 3000 1"] == (
        lab.respond("GET DATA press-1 3000 1")
    )
    assert {s.command: s.answer for s in greeting.steps}['STREAM FILE atende-welcome ""'] == (
        lab.respond('STREAM FILE atende-welcome ""')
    )


async def test_missing_prompt_falls_back_to_a_stock_prompt_that_takes_a_key() -> None:
    """Without ``atende-menu`` GET DATA answers -1 at once; the route logs it, plays the core
    sound ``beep`` instead, and the caller's key 2 still reaches suporte."""
    commands, routed, logs = await _run(Asterisk({"atende-welcome", "beep"}, key="2"))
    assert commands[3:5] == ["GET DATA atende-menu 3000 1", "GET DATA beep 3000 1"]
    assert (routed[0].queue, routed[0].digits, routed[0].reason) == ("suporte", "2", "key")
    missing = [e for e in logs if e["event"] == "ivr_prompt_missing"]
    assert [(e["file"], e.get("fallback")) for e in missing] == [("atende-menu", "beep")]
    assert missing[0]["log_level"] == "warning"


async def test_missing_greeting_is_logged_and_the_menu_goes_on() -> None:
    """Without the greeting (STREAM FILE -1, endpos 0) the menu is still read: key 3."""
    commands, routed, logs = await _run(Asterisk({"atende-menu"}, key="3"))
    assert commands[2:4] == ['STREAM FILE atende-welcome "123"', "GET DATA atende-menu 3000 1"]
    assert routed[0].queue == "cobranca"
    assert [e["file"] for e in logs if e["event"] == "ivr_prompt_missing"] == ["atende-welcome"]


async def test_key_pressed_during_the_greeting_counts() -> None:
    """The greeting is played with escape digits 1-3: a 2 pressed during it is the choice
    (STREAM FILE answers the digit's code) and no prompt follows."""
    asterisk = Asterisk({"atende-welcome", "atende-menu"})
    asterisk.respond = lambda c, base=asterisk.respond: (  # type: ignore[method-assign]
        "200 result=50 endpos=5200" if c.startswith("STREAM FILE atende-welcome") else base(c)
    )
    commands, routed, _ = await _run(asterisk)
    assert not any(c.startswith("GET DATA") for c in commands)
    assert (routed[0].queue, routed[0].digits) == ("suporte", "2")


async def test_ivr_start_is_the_time_in_seconds() -> None:
    """IVR_START holds the menu's start as Unix seconds (AGI does not expand ${EPOCH})."""
    asterisk = Asterisk({"atende-welcome", "atende-menu"})
    commands, _, _ = await _run(asterisk)
    assert commands[1] == f"SET VARIABLE IVR_START {int(AT.timestamp())}"
    assert asterisk.variables["IVR_START"] == "1795780800"


def _dialplan_sounds() -> set[str]:
    text = (ROOT / "asterisk-conf" / "extensions.conf").read_text()
    found = set(re.findall(r"Playback\(([\w/-]+)", text))
    for name in ("EXIT_MESSAGE", "CALLBACK_CONFIRM"):
        (value,) = re.findall(rf"^{name} = (\S+)", text, re.M)
        found.add(value)
    return found


def test_every_prompt_is_stock_or_shipped_in_portuguese_and_english() -> None:
    """Each sound the dialplan, the default menu and the callback offer name is one of
    Asterisk's core sounds or a WAV shipped in asterisk-conf/sounds/ for pt_BR and en."""
    menu = default_menu()
    offer = CallbackOffer(lambda _e: None)
    names = _dialplan_sounds() | {menu.greeting, menu.prompt, menu.fallback_prompt, offer.prompt}
    assert {"atende-welcome", "atende-menu", "atende-abandon-message"} <= names
    for name in names:
        assert name is not None
        shipped = [(SHIPPED / lang / f"{name}.wav").exists() for lang in ("pt_BR", "en")]
        assert name in CORE_SOUNDS or all(shipped), name
    assert menu.fallback_prompt in CORE_SOUNDS  # the fallback must not need an install


def test_twin_knows_only_real_core_sounds() -> None:
    """The twin's stock sound list is a subset of Asterisk's core sounds."""
    from telephony.twin.sounds import STOCK_SOUNDS

    assert set(STOCK_SOUNDS) <= CORE_SOUNDS

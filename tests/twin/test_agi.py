"""The twin's FastAGI client: answers, dead-channel behaviour, bad commands."""

from __future__ import annotations

import asyncio

from telephony.twin import Twin, TwinConfig
from tests.twin.client import AmiClient, FastAgiServer, command, eventually


async def _twin_with(script: object) -> tuple[Twin, FastAgiServer]:
    server = FastAgiServer(script)  # type: ignore[arg-type]
    port = await server.start()
    twin = Twin(TwinConfig(agi_address=("127.0.0.1", port), time_scale=0.02))
    await twin.start()
    return twin, server


async def test_commands_get_asterisk_answers() -> None:
    """Variables, unknown commands and garbage lines are answered as Asterisk does."""
    answers: list[str] = []

    async def script(
        env: dict[str, str], reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        for line in (
            "ANSWER",
            "SET VARIABLE LANG pt_BR",
            "GET VARIABLE LANG",
            "GET VARIABLE NOT_SET",
            "GET FULL VARIABLE ${CALLERID(num)}-${LANG}",
            'STREAM FILE no-such-file ""',
            "GET DATA beep 100 2",
            'SAY DIGITS 12 ""',
            "EXEC Set X=1",
            "NOOP",
            "FROBNICATE",
            "\x01\x02 garbage",
        ):
            answers.append(await command(reader, writer, line))

    twin, server = await _twin_with(script)
    try:
        await twin.place_inbound_call("1133330001", "5511999990001", "Maria")
        await eventually(lambda: len(answers) == 12)
    finally:
        await twin.stop()
        await server.stop()
    assert answers == [
        "200 result=0",
        "200 result=1",
        "200 result=1 (pt_BR)",
        "200 result=0",
        "200 result=1 (5511999990001-pt_BR)",
        "200 result=-1 endpos=0",
        "200 result= (timeout)",
        "200 result=0",
        "200 result=0",
        "200 result=0",
        "510 Invalid or unknown command",
        "510 Invalid or unknown command",
    ]
    assert server.sessions[0]["agi_network_script"] == "inbound"
    assert server.sessions[0]["agi_calleridname"] == "Maria"


async def test_caller_hangs_up_during_the_ivr() -> None:
    """The running command ends with -1, the server hears HANGUP, media commands then get 511."""
    heard: list[str] = []
    playing = asyncio.Event()

    async def script(
        env: dict[str, str], reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        writer.write(b"WAIT FOR DIGIT 100000\n")
        playing.set()
        heard.append((await reader.readline()).decode().rstrip("\n"))
        heard.append((await reader.readline()).decode().rstrip("\n"))
        heard.append(await command(reader, writer, 'STREAM FILE beep ""'))
        heard.append(await command(reader, writer, "GET VARIABLE CALLERID(num)"))

    twin, server = await _twin_with(script)
    client = AmiClient()
    try:
        await client.connect(twin.port)
        await client.login()
        await twin.place_inbound_call("1133330001", "5511999990001")
        await asyncio.wait_for(playing.wait(), 5)
        caller = next(ch.name for ch in twin.channels() if ch.name.endswith(";1"))
        await client.action(Action="Hangup", Channel=caller)
        status = await client.wait_for(
            lambda m: m.get("Event") == "VarSet" and m.get("Variable") == "AGISTATUS"
        )
    finally:
        await client.close()
        await twin.stop()
        await server.stop()
    assert heard[0] == "200 result=-1"
    assert heard[1] == "HANGUP"
    assert heard[2] == "511 Command Not Permitted on a dead channel or intercept routine"
    assert heard[3] == "200 result=1 (5511999990001)"  # variables still work, as in Asterisk
    assert status["Value"] == "HANGUP"

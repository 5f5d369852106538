"""Drives a twin over real TCP the way a recorded trace drove a real Asterisk."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field

from telephony.twin import AmiUser, Twin, TwinConfig
from telephony.twin.manager_conf import read_manager_conf
from telephony.twin.sounds import STOCK_SOUNDS
from tests.twin.traces import (
    TRACES,
    AgiSession,
    AmiTrace,
    Msg,
    load_agi,
    load_ami,
    split_messages,
)

TIME_SCALE = 0.2  # waits 5x shorter; long enough to stay in order on a busy machine


@dataclass
class ScriptedAgiServer:
    """A FastAGI server that replays the server side of recorded sessions."""

    scripts: list[AgiSession]
    seen: list[AgiSession] = field(default_factory=list)
    server: asyncio.Server | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._session, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    def _script_for(self, env: list[tuple[str, str]]) -> AgiSession:
        caller = dict(env).get("agi_callerid")
        for script in self.scripts:
            if dict(script.env).get("agi_callerid") == caller:
                self.scripts.remove(script)
                return script
        return self.scripts.pop(0)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen = AgiSession()
        self.seen.append(seen)
        while True:
            line = (await reader.readline()).decode()
            if line in ("\n", ""):
                break
            key, _, value = line.rstrip("\n").partition(": ")
            seen.env.append((key, value))
        script = self._script_for(seen.env)
        for command, _ in script.exchanges:
            writer.write((command + "\n").encode())
            answer = (await reader.readline()).decode().rstrip("\n")
            if answer == "HANGUP":  # the channel hung up; the command's answer follows
                answer += "\n" + (await reader.readline()).decode().rstrip("\n")
            seen.exchanges.append((command, answer))
        writer.close()
        await writer.wait_closed()


async def _read_all(reader: asyncio.StreamReader, sink: list[Msg], banner: list[str]) -> None:
    buffer = ""
    while True:
        data = await reader.read(65536)
        if not data:
            return
        buffer += data.decode()
        if not banner and "\r\n" in buffer:
            first, buffer = buffer.split("\r\n", 1)
            banner.append(first)
        messages, buffer = split_messages(buffer)
        sink.extend(messages)


_SEQ = re.compile(r"-([0-9a-f]{8})(?=;[12])")


def _sequences(messages: list[Msg]) -> list[str]:
    found = {m.group(1) for msg in messages for _, v in msg for m in _SEQ.finditer(v)}
    return sorted(found, key=lambda h: int(h, 16))


def _rename(data: str, trace_seqs: list[str], twin_seqs: list[str]) -> str:
    """Channel names in an action: the trace's n-th Local channel is the twin's n-th."""
    table = dict(zip(trace_seqs, twin_seqs, strict=False))
    return _SEQ.sub(lambda m: "-" + table.get(m.group(1), m.group(1)), data)


async def _wait_count(sink: list[Msg], count: int, patience: float) -> None:
    """Wait until ``count`` messages arrived (or ``patience`` ran out)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience
    while len(sink) < count and loop.time() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.002)


@dataclass
class Replay:
    """What the twin answered when driven with a trace's actions."""

    banner: str
    received: list[Msg]
    agi: list[AgiSession]
    sent_at: list[int] = field(default_factory=list)  # messages received when each send left


_REPLAYS: dict[str, Replay] = {}


async def replayed(trace: AmiTrace) -> Replay:
    """The replay of a trace, run once per test session and shared by the checks."""
    if trace.name not in _REPLAYS:
        _REPLAYS[trace.name] = await replay(trace)
    return _REPLAYS[trace.name]


async def replay(trace: AmiTrace, settle: float = 10.0) -> Replay:
    """Start a twin on the lab dialplan, send the trace's actions, collect the answers."""
    agi = ScriptedAgiServer(load_agi(trace.name))
    agi_port = await agi.start()
    twin = Twin(
        TwinConfig(
            users={"acd": AmiUser("acdsecret")},
            dialplans=[TRACES / "lab-extensions.conf"],
            agi_address=("127.0.0.1", agi_port),
            time_scale=TIME_SCALE,
            login_failure_delay=0.05,
        )
    )
    port = await twin.start()
    received: list[Msg] = []
    banner: list[str] = []
    sent_at: list[int] = []
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        reading = asyncio.create_task(_read_all(reader, received, banner))
        trace_seqs = _sequences(trace.received)
        for step in trace.sends:
            await _wait_count(received, step.expected_before, settle)
            sent_at.append(len(received))
            data = _rename(step.data, trace_seqs, _sequences(received))
            try:
                writer.write(data.encode())
                await writer.drain()
            except ConnectionError:
                break
        await _wait_count(received, len(trace.received), settle)
        try:
            await asyncio.wait_for(reading, settle)
        except TimeoutError:
            reading.cancel()
        writer.close()
    finally:
        await twin.stop()
        await agi.stop()
    return Replay(banner[0] if banner else "", received, agi.seen, sent_at)


# -- the product_* traces: the product's own dialplan and AMI user ----------------------

ASTERISK_CONF_DIR = TRACES.parents[2] / "asterisk-conf"
LAB_SECRET = "labSecret-7d1f9"
#: The lab's sound files: the core sounds plus the menu's prompt ``press-1``.
LAB_SOUNDS = {**STOCK_SOUNDS, "press-1": 3573}


@dataclass(frozen=True)
class ProductScenario:
    """A product_* recording: one AMI connection, or one before and one after a gap.

    ``after_delay``: seconds between the last action of the first connection and the
    second connection's opening (the README's figure); ``missing``: sound files the lab
    did not have for that recording; ``agi_down``: nothing listened on the FastAGI port.
    """

    name: str
    after: str = ""
    after_delay: float = 0.0
    missing: frozenset[str] = frozenset()
    agi_down: bool = False
    #: what AMD() concluded about the lab's customer (status, cause, seconds after answer)
    amd: tuple[str, str, float] | None = None
    #: seconds WaitForSilence waited on the lab's customer's audio
    silence_after: float | None = None
    #: compare the ``_unfiltered`` recording too
    with_viewer: bool = True
    #: features.conf ``[featuremap]`` of the lab for that recording
    features: tuple[tuple[str, str], ...] = ()

    @property
    def first(self) -> str:
        return f"{self.name}_before" if self.after else self.name

    @property
    def viewer(self) -> str:
        """The ``_unfiltered`` recording (read=all, same call, same time), or ""."""
        name = f"{self.name}_unfiltered"
        return name if self.with_viewer and (TRACES / f"{name}.ami.jsonl").exists() else ""


@dataclass
class ProductReplay:
    """What the twin sent on each recorded connection, and the FastAGI sessions."""

    replays: dict[str, Replay]
    agi: list[AgiSession]


def _caller(trace: AmiTrace) -> tuple[int, str, str, str, str] | None:
    """Where the lab's unrecorded Originate of the caller shows (message index), its DID,
    caller number and name, and patience (the ``[lab-caller]`` extension)."""
    index, did, num, name, patience = -1, "", "", "", "120"
    for i, msg in enumerate(trace.received):
        d = dict(msg)
        channel = d.get("Channel", "")
        if index < 0 and d.get("Event") == "Newchannel" and "@inbound-" in channel:
            index, did = i, channel.split("/", 1)[1].split("@", 1)[0]
        if index >= 0 and d.get("Event") == "NewCallerid" and not num:
            num, name = d["CallerIDNum"], d["CallerIDName"]
        if d.get("Context") == "lab-caller" and channel.endswith(";1"):
            patience = d["Exten"]
    return None if index < 0 else (index, did, num, name, patience)


async def _place_caller(port: int, did: str, num: str, name: str, patience: str) -> None:
    """The lab's own connection: a synchronous Originate of the caller into [inbound]."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        "Action: Login\r\nUsername: lab\r\nSecret: lab\r\nEvents: off\r\n\r\n"
        f"Action: Originate\r\nChannel: Local/{did}@inbound\r\nContext: lab-caller\r\n"
        f'Exten: {patience}\r\nPriority: 1\r\nCallerID: "{name}" <{num}>\r\n'
        "Timeout: 30000\r\n\r\n".encode()
    )
    await writer.drain()
    while b"Originate" not in await reader.readline():  # the Originate's answer
        pass
    writer.close()


async def _drive(
    port: int,
    trace: AmiTrace,
    renamed: list[str],
    seen: list[Msg],
    caller: tuple[int, str, str, str, str] | None = None,
    settle: float = 3.0,
) -> tuple[Replay, float]:
    """Log in and play one recorded connection; returns its replay and when it sent last.

    With ``caller``, the lab's caller is placed once the messages before its first
    Newchannel have arrived (right after the login's CoreShowChannels).
    """
    received: list[Msg] = []
    banner: list[str] = []
    sent_at: list[int] = []
    last_send = 0.0
    loop = asyncio.get_running_loop()
    placing: asyncio.Task[None] | None = None
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    reading = asyncio.create_task(_read_all(reader, received, banner))
    try:
        for step in trace.sends:
            if caller is not None and placing is None and caller[0] < step.expected_before:
                await _wait_count(received, caller[0], settle)
                placing = asyncio.create_task(_place_caller(port, *caller[1:]))
            await _wait_count(received, step.expected_before, settle)
            # the recording's pauses matter here (ringing for 3 s, a Status 1.5 s later)
            await asyncio.sleep(step.pause * TIME_SCALE)
            sent_at.append(len(received))
            data = _rename(step.data, renamed, _sequences([*seen, *received]))
            writer.write(data.encode())
            await writer.drain()
            last_send = loop.time()
        await _wait_count(received, len(trace.received), settle)
    finally:
        writer.close()
        try:
            await asyncio.wait_for(reading, settle)
        except TimeoutError:
            reading.cancel()
        if placing is not None:
            await asyncio.wait_for(placing, settle)
    return Replay(banner[0] if banner else "", received, [], sent_at), last_send


async def replay_product(scenario: ProductScenario, settle: float = 10.0) -> ProductReplay:
    """Run the product's ``asterisk-conf/extensions.conf`` (with the lab's phones) and its
    ``atende`` AMI user (filters included), both as they were when the traces were recorded,
    on a twin, and drive it as the lab did."""
    first = load_ami(scenario.first)
    second = load_ami(scenario.after) if scenario.after else None
    agi = ScriptedAgiServer(load_agi(scenario.name))
    agi_port = await agi.start()
    if scenario.agi_down:
        await agi.stop()  # connection refused from now on
    # the AMI user as it was when the traces were recorded (the shipped one may filter more)
    product_user = read_manager_conf(TRACES / "recorded-product-manager.conf")["atende"]
    twin = Twin(
        TwinConfig(
            users={
                "atende": AmiUser.from_manager(product_user, LAB_SECRET),
                "lab": AmiUser("lab"),
                "labctl": AmiUser("labctl-secret"),
            },
            dialplans=[
                TRACES / "recorded-product-extensions.conf",
                TRACES / "lab-product-extensions.conf",
            ],
            agi_address=("127.0.0.1", agi_port),
            globals={"ATENDE_ENGINE": "127.0.0.1:4681"},
            features=dict(scenario.features),
            sounds={k: v for k, v in LAB_SOUNDS.items() if k not in scenario.missing},
            time_scale=TIME_SCALE,
            login_failure_delay=0.05,
        )
    )
    if scenario.amd is not None:
        amd = scenario.amd
        twin.pbx.amd_result = lambda _channel: amd
    if scenario.silence_after is not None:
        quiet = scenario.silence_after
        twin.pbx.silence_after = lambda _channel, _needed: quiet
    port = await twin.start()
    renamed = _sequences([*first.received, *(second.received if second else [])])
    replays: dict[str, Replay] = {}
    try:
        watching = None
        if scenario.viewer:
            viewer = load_ami(scenario.viewer)
            watching = asyncio.create_task(_drive(port, viewer, renamed, [], None, settle))
            await asyncio.sleep(0.01)  # logged in before the engine's connection, as in the lab
        replays[first.name], last_send = await _drive(
            port, first, renamed, [], _caller(first), settle
        )
        if watching is not None:
            replays[scenario.viewer], _ = await watching
        if second is not None:
            delay = last_send + scenario.after_delay * TIME_SCALE
            await asyncio.sleep(max(0.0, delay - asyncio.get_running_loop().time()))
            replays[second.name], _ = await _drive(
                port, second, renamed, replays[first.name].received, settle=settle
            )
    finally:
        await twin.stop()
        await agi.stop()
    return ProductReplay(replays, agi.seen)


_PRODUCT_REPLAYS: dict[str, ProductReplay] = {}


async def replayed_product(scenario: ProductScenario) -> ProductReplay:
    """The replay of a product scenario, run once per test session and shared."""
    if scenario.name not in _PRODUCT_REPLAYS:
        _PRODUCT_REPLAYS[scenario.name] = await replay_product(scenario)
    return _PRODUCT_REPLAYS[scenario.name]

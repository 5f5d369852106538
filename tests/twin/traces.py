"""Test-side reading of the recorded Asterisk traces and their normalisation.

Kept apart from the twin on purpose: the tests must not share the twin's codec.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

TRACES = Path(__file__).resolve().parent.parent / "fixtures" / "asterisk-traces"

Msg = tuple[tuple[str, str], ...]


def split_messages(buffer: str) -> tuple[list[Msg], str]:
    """Cut complete ``\\r\\n\\r\\n``-ended messages off ``buffer``; return them and the rest."""
    out: list[Msg] = []
    while "\r\n\r\n" in buffer:
        raw, buffer = buffer.split("\r\n\r\n", 1)
        pairs = []
        for line in raw.split("\r\n"):
            key, _, value = line.partition(": ")
            if line.endswith(":") and not value:
                key = line[:-1]
            pairs.append((key, value))
        out.append(tuple(pairs))
    return out, buffer


@dataclass
class Step:
    """Either actions to send (``data``) or the count of messages seen before them."""

    data: str
    expected_before: int
    pause: float = 0.0  # seconds between the last message received and this send


@dataclass
class AmiTrace:
    """A recorded AMI conversation: the banner, the sends and every message received."""

    name: str
    banner: str = ""
    sends: list[Step] = field(default_factory=list)
    received: list[Msg] = field(default_factory=list)


def load_ami(name: str) -> AmiTrace:
    """Read ``<name>.ami.jsonl``; consecutive sends are merged into one write."""
    trace = AmiTrace(name)
    buffer = ""
    last_was_send = False
    last_recv = 0.0
    for line in (TRACES / f"{name}.ami.jsonl").read_text().splitlines():
        rec = json.loads(line)
        if rec["dir"] == "send":
            if last_was_send:
                trace.sends[-1].data += rec["data"]
            else:
                pause = rec["t"] - last_recv
                trace.sends.append(Step(rec["data"], len(trace.received), pause))
            last_was_send = True
            continue
        if rec["dir"] != "recv":
            continue
        last_was_send = False
        last_recv = rec["t"]
        buffer += rec["data"]
        if not trace.banner and buffer.startswith("Asterisk Call Manager"):
            trace.banner, buffer = buffer.split("\r\n", 1)
        messages, buffer = split_messages(buffer)
        trace.received.extend(messages)
    return trace


@dataclass
class AgiSession:
    """One recorded FastAGI session: environment, then (command, answer) pairs."""

    env: list[tuple[str, str]] = field(default_factory=list)
    exchanges: list[tuple[str, str]] = field(default_factory=list)


def load_agi(name: str) -> list[AgiSession]:
    """Read ``<name>.agi.jsonl`` as sessions (a new one starts at ``agi_network``).

    A ``HANGUP`` line Asterisk sent before a command's answer is kept with that answer
    (``"HANGUP\n200 result=1 (...)"``).
    """
    path = TRACES / f"{name}.agi.jsonl"
    if not path.exists():
        return []
    sessions: list[AgiSession] = []
    pending: str | None = None
    held: str | None = None
    for line in path.read_text().splitlines():
        rec = json.loads(line)
        data = rec["data"].rstrip("\n")
        if rec["dir"] == "recv" and data.startswith("agi_network:"):
            sessions.append(AgiSession())
        if rec["dir"] == "recv" and data.startswith("agi_"):
            key, _, value = data.partition(": ")
            sessions[-1].env.append((key, value.rstrip() if key != "agi_accountcode" else value))
        elif rec["dir"] == "send":
            pending = data
        elif rec["dir"] == "recv" and data == "HANGUP" and pending is not None:
            held = "HANGUP"  # Asterisk's hang-up notice came before the command's answer
        elif rec["dir"] == "recv" and data and pending is not None:
            sessions[-1].exchanges.append((pending, f"{held}\n{data}" if held else data))
            pending = held = None
    return sessions


_UNIQUEID = re.compile(r"^\d{9,11}\.(\d+)$")
_LOCAL_SEQ = re.compile(r"-([0-9a-f]{8})(?=;[12])")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

#: Fields whose values are times, counters of the server's life, or addresses.
MASKED = {
    "EventTV",
    "SessionTV",
    "SessionID",
    "LocalAddress",
    "RemoteAddress",
    "CommandId",
    "Timestamp",
    "Uptime",
    "LastReload",
    "CoreStartupDate",
    "CoreStartupTime",
    "CoreReloadDate",
    "CoreReloadTime",
    "CoreProcessedCalls",
    "Duration",
    "Seconds",
}
TIME_VARIABLES = {
    "ANSWEREDTIME",
    "ANSWEREDTIME_MS",
    "DIALEDTIME",
    "DIALEDTIME_MS",
    "RINGTIME",
    "RINGTIME_MS",
    "EPOCH",
    "IVR_START",
}


class Normaliser:
    """Replaces ids by names that do not depend on timing.

    A Local channel ``Local/2001@agents-0000001a;1`` becomes ``Local/2001@agents-1;1`` (the
    first Local channel to ``2001@agents``), its uniqueid ``U[Local/2001@agents-1;1]``;
    bridges are numbered by first appearance.
    """

    def __init__(self, messages: list[Msg]) -> None:
        self.local_rank: dict[int, str] = {}
        self.uids: dict[str, str] = {}
        self.bridges: dict[str, str] = {}
        per_base: dict[str, int] = defaultdict(int)
        for msg in messages:
            d = dict(msg)
            for _, value in msg:
                for lm in _LOCAL_SEQ.finditer(value):
                    seq = int(lm.group(1), 16)
                    if seq not in self.local_rank:
                        base = value[: lm.start()]
                        per_base[base] += 1
                        self.local_rank[seq] = str(per_base[base])
                if _UUID.match(value) and value not in self.bridges:
                    self.bridges[value] = f"B{len(self.bridges) + 1}"
        for msg in messages:
            d = dict(msg)
            if d.get("Event") == "Newchannel":
                self.uids[d["Uniqueid"]] = f"U[{self._locals(d['Channel'])}]"
        for msg in messages:  # a client that connected later only sees the channels listed
            d = dict(msg)
            if d.get("Event") in ("CoreShowChannel", "Status") and d.get("Uniqueid"):
                self.uids.setdefault(d["Uniqueid"], f"U[{self._locals(d['Channel'])}]")

    def _locals(self, value: str) -> str:
        return _LOCAL_SEQ.sub(
            lambda lm: "-" + self.local_rank.get(int(lm.group(1), 16), "?"), value
        )

    def value(self, key: str, value: str) -> str:
        """Normalise one header value."""
        if key in MASKED:
            return "*"
        if _UNIQUEID.match(value):
            return self.uids.get(value, "U?")
        if value in self.bridges:
            return self.bridges[value]
        return self._locals(value)

    def message(self, msg: Msg) -> Msg:
        """Normalise a whole message (time-valued variables masked too)."""
        out = [(k, self.value(k, v)) for k, v in msg]
        variable = dict(msg).get("Variable", "")
        if variable in TIME_VARIABLES:
            out = [(k, "*" if k == "Value" else v) for k, v in out]
        return tuple(out)


def stream_of(msg: Msg) -> str:
    """Which ordered stream a message belongs to.

    Action responses, the list events they announce and the session's own events form one
    stream (their order is the order of the requests); every other event belongs to its
    channel, device, bridge or originate request.
    """
    d = dict(msg)
    if "Response" in d and "Event" not in d:
        return "actions"
    event = d.get("Event", "")
    if event == "OriginateResponse":
        return f"originate {d.get('ActionID', '')}"
    if "Privilege" not in d and "ActionID" in d:
        return "actions"
    for key in ("Channel", "DestChannel", "LocalOneChannel", "SpyerChannel"):
        if key in d:
            return f"channel {d[key]}"
    if "Device" in d:
        return f"device {d['Device']}"
    if "BridgeUniqueid" in d:
        return f"bridge {d['BridgeUniqueid']}"
    return "actions"  # FullyBooted, SuccessfulAuth, RequestBadFormat: about the session


#: Listings Asterisk writes in the order of a hash container, not a meaningful one.
HASH_ORDERED = frozenset({"ChannelHungup", "CoreShowChannel", "Status"})


def _sort_hungup_runs(items: list[Msg]) -> list[Msg]:
    """Sort each run of listed channels (Asterisk lists them in hash order)."""
    out: list[Msg] = []
    run: list[Msg] = []
    for m in [*items, ()]:
        if m and dict(m).get("Event") in HASH_ORDERED:
            run.append(m)
            continue
        out.extend(sorted(run))
        run = []
        if m:
            out.append(m)
    return out


def _is_peer_clear(msg: Msg) -> bool:
    d = dict(msg)
    return d.get("Event") == "VarSet" and d.get("Variable") == "BRIDGEPEER" and not d.get("Value")


def _canonical(items: list[Msg]) -> list[Msg]:
    """Put racing neighbours in one order.

    When both halves of a Local channel are hung up at once, the HangupRequest one half
    sends the other and the bridge emptying BRIDGEPEER on that other half come from two
    threads; Asterisk's recordings show both orders. HangupRequest goes first here.
    """
    out = list(items)
    for i in range(len(out) - 1):
        if _is_peer_clear(out[i]) and dict(out[i + 1]).get("Event") == "HangupRequest":
            out[i], out[i + 1] = out[i + 1], out[i]
    return out


def streams(messages: list[Msg], drop_events: frozenset[str] = frozenset()) -> dict[str, list[Msg]]:
    """Group normalised messages by stream, keeping each stream's order.

    The channels listed by a regex Hangup come in Asterisk's hash order, so those runs
    are sorted.
    """
    norm = Normaliser(messages)
    out: dict[str, list[Msg]] = defaultdict(list)
    for msg in messages:
        if dict(msg).get("Event") in drop_events:
            continue
        n = norm.message(msg)
        out[stream_of(n)].append(n)
    for key, items in out.items():
        if key == "actions":
            out[key] = _sort_hungup_runs(items)
        else:
            out[key] = _canonical(items)
    return dict(out)


def normalise_env(env: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """An AGI environment with ids and thread numbers masked."""
    norm = Normaliser([tuple(env)])
    return [(k, "*" if k == "agi_threadid" else norm.value(k, v)) for k, v in env]

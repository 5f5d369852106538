"""FastAGI client side: what a channel running ``AGI(agi://host:port/script)`` does.

Sends the ``agi_*`` environment, answers each command as Asterisk 22 does
(``200 result=...``), publishes AGIExecStart/AGIExecEnd, and after a hangup tells the
server ``HANGUP`` and answers ``511`` to anything else.
"""

from __future__ import annotations

import asyncio
import random
import shlex
import threading
from urllib.parse import urlsplit

import structlog

from telephony.twin.apps import APPS
from telephony.twin.channel import UNKNOWN, UP, Channel
from telephony.twin.pbx import Hungup, Pbx, Redirected

log = structlog.get_logger("telephony.twin.agi")

AGI_VERSION = "22.11.0-rc1"
DEAD = "511 Command Not Permitted on a dead channel or intercept routine"
UNKNOWN_COMMAND = "510 Invalid or unknown command"

#: Commands Asterisk still runs after the channel hung up (the others answer 511).
RUN_DEAD = (
    ("GET", "VARIABLE"),
    ("GET", "FULL"),
    ("SET", "VARIABLE"),
    ("VERBOSE",),
    ("NOOP",),
    ("EXEC",),
    ("DATABASE",),
)
RESULT_TEXT = {
    "200": "Success",
    "510": "Invalid or unknown command",
    "511": "Command Not Permitted on a dead channel or intercept routine",
    "520": "Usage",
}


def environment(ch: Channel, url: str, args: list[str]) -> str:
    """The ``agi_*`` lines (and the blank line) Asterisk sends first."""
    parts = urlsplit(url)
    script = parts.path.lstrip("/")
    lines = [
        ("agi_network", "yes"),
        ("agi_network_script", script),
        ("agi_request", url),
        ("agi_channel", ch.name),
        ("agi_language", "en"),
        ("agi_type", ch.name.split("/", 1)[0]),
        ("agi_uniqueid", ch.uniqueid),
        ("agi_version", AGI_VERSION),
        ("agi_callerid", "unknown" if ch.cid_num == UNKNOWN else ch.cid_num),
        ("agi_calleridname", "unknown" if ch.cid_name == UNKNOWN else ch.cid_name),
        ("agi_callingpres", "0"),
        ("agi_callingani2", "0"),
        ("agi_callington", "0"),
        ("agi_callingtns", "0"),
        ("agi_dnid", "unknown"),
        ("agi_rdnis", "unknown"),
        ("agi_context", ch.context),
        ("agi_extension", ch.exten),
        ("agi_priority", str(ch.priority)),
        ("agi_enhanced", "0.0"),
        ("agi_accountcode", ""),
        ("agi_threadid", str(threading.get_ident())),
    ]
    lines += [(f"agi_arg_{i}", a) for i, a in enumerate(args, start=1)]
    return "".join(f"{k}: {v}\n" for k, v in lines) + "\n"


class AgiSession:
    """One FastAGI conversation for one channel."""

    def __init__(
        self, pbx: Pbx, ch: Channel, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.pbx, self.ch = pbx, ch
        self.reader, self.writer = reader, writer
        self.dead = False
        #: a command failed (a STREAM FILE of a missing file): AGISTATUS=FAILURE at the end,
        #: as Asterisk's run_agi marks the whole run failed
        self.failed = False
        self._command_failed = False

    def _send(self, line: str) -> None:
        self.writer.write((line + "\n").encode())

    def _exec_event(
        self, event: str, command_id: str, command: str, extra: list[tuple[str, str]]
    ) -> None:
        self.pbx.emit(
            event,
            "agi,all",
            [*self.ch.block(), ("CommandId", command_id), ("Command", command), *extra],
        )

    async def _read_line(self) -> bytes | None:
        """Next line from the server; on hangup tell it ``HANGUP`` (once) and go on."""
        read = asyncio.ensure_future(self.reader.readline())
        try:
            while True:
                if not self.dead and self.ch.pending is not None:
                    self.dead = True
                    self._send("HANGUP")
                if self.dead:
                    line = await read
                    return line or None
                wake = asyncio.ensure_future(self.ch.wake.wait())
                try:
                    await asyncio.wait({read, wake}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    wake.cancel()
                if read.done():
                    line = read.result()
                    return line or None
        finally:
            if not read.done():
                read.cancel()

    async def run(self) -> None:
        """Serve commands until the server closes the connection."""
        while True:
            raw = await self._read_line()
            if raw is None:
                return
            line = raw.decode("utf-8", "replace").strip()
            if not line:
                continue
            command_id = str(random.randint(1, 2**31 - 1))
            self._exec_event("AGIExecStart", command_id, line, [])
            words = tuple(line.upper().split())
            self._command_failed = False
            if self.dead and not any(words[: len(p)] == p for p in RUN_DEAD):
                reply = DEAD
            else:
                try:
                    reply = await self.execute(line)
                except (Hungup, Redirected):
                    reply = "200 result=-1"
            code = reply.split(" ", 1)[0]
            self._send(reply)
            if self.ch.pending is not None and not self.dead:
                self.dead = True
                self._send("HANGUP")
            if self._command_failed:
                code = "-1"
                self.failed = self.failed or not self.dead
            self._exec_event(
                "AGIExecEnd",
                command_id,
                line,
                [("ResultCode", code), ("Result", RESULT_TEXT.get(code, "Failure"))],
            )

    async def execute(self, line: str) -> str:
        """Run one AGI command and return the reply line."""
        try:
            words = shlex.split(line)
        except ValueError:
            words = line.split()
        upper = [w.upper() for w in words]
        pbx, ch = self.pbx, self.ch
        if upper[:1] == ["ANSWER"]:
            pbx.answer(ch)
            return "200 result=0"
        if upper[:1] == ["NOOP"]:
            return "200 result=0"
        if upper[:1] == ["VERBOSE"]:
            return "200 result=1"
        if upper[:2] == ["SET", "VARIABLE"] and len(words) >= 3:
            pbx.set_var(ch, words[2], words[3] if len(words) > 3 else "")
            return "200 result=1"
        if upper[:2] == ["GET", "VARIABLE"] and len(words) >= 3:
            return self._value(words[2], pbx.lookup(ch, words[2]))
        if upper[:3] == ["GET", "FULL", "VARIABLE"] and len(words) >= 4:
            value = pbx.expand(ch, words[3])
            return f"200 result=1 ({value})"
        if upper[:2] == ["STREAM", "FILE"] and len(words) >= 3:
            return await self._stream(words[2], words[3] if len(words) > 3 else "")
        if upper[:2] == ["GET", "DATA"] and len(words) >= 3:
            timeout = float(words[3]) / 1000 if len(words) > 3 else 5.0
            maxdigits = int(words[4]) if len(words) > 4 else 1024
            return await self._get_data(words[2], timeout, maxdigits)
        if upper[:3] == ["WAIT", "FOR", "DIGIT"]:
            timeout = float(words[3]) / 1000 if len(words) > 3 else -1
            digit = await self._digit(None if timeout < 0 else timeout)
            return f"200 result={ord(digit) if digit else 0}"
        if upper[:2] in (["SAY", "DIGITS"], ["SAY", "NUMBER"]) and len(words) >= 3:
            await pbx.pause(ch, 0.4 * len(words[2]))
            return "200 result=0"
        if upper[:1] == ["EXEC"] and len(words) >= 2:
            impl = APPS.get(words[1].lower())
            if impl is None:
                return "200 result=-2"
            ended = await impl(pbx, ch, ",".join(words[2:]) if len(words) > 2 else "")
            return "200 result=-1" if ended else "200 result=0"
        if upper[:1] == ["HANGUP"]:
            pbx.request_hangup(ch)
            return "200 result=1"
        return UNKNOWN_COMMAND

    @staticmethod
    def _value(name: str, value: str) -> str:
        return f"200 result=1 ({value})" if value else "200 result=0"

    async def _digit(self, wait: float | None) -> str:
        """Next DTMF digit within ``wait`` seconds (``""`` if none); hangup interrupts."""
        self.pbx.check(self.ch)
        getter = asyncio.ensure_future(self.ch.dtmf.get())
        waker = asyncio.ensure_future(self.ch.wake.wait())
        try:
            await asyncio.wait(
                {getter, waker},
                timeout=None if wait is None else wait * self.pbx.time_scale,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            waker.cancel()
            if not getter.done():
                getter.cancel()
        if getter.done() and not getter.cancelled():
            return getter.result()
        self.pbx.check(self.ch)
        return ""

    async def _play(self, name: str, escape: str) -> str | None:
        """Play a file; return the escape digit pressed (``""`` none), ``None`` if missing."""
        if name not in self.pbx.sounds:
            return None
        deadline = self.pbx.sounds[name] / 8000
        while True:
            digit = await self._digit(deadline)
            if not digit or digit in escape:
                return digit
        return ""

    async def _stream(self, name: str, escape: str) -> str:
        digit = await self._play(name, escape)
        if digit is None:  # no such file: answered at once, the command fails
            self._command_failed = True
            return "200 result=-1 endpos=0"
        self.pbx.set_var(self.ch, "PLAYBACKSTATUS", "SUCCESS")
        return f"200 result={ord(digit) if digit else 0} endpos={self.pbx.sounds[name]}"

    async def _get_data(self, name: str, wait: float, maxdigits: int) -> str:
        first = await self._play(name, "0123456789*#")
        if first is None:
            return "200 result=-1"
        digits = first
        while len(digits) < maxdigits:
            digit = await self._digit(wait)
            if not digit:
                return f"200 result={digits}" if digits else "200 result= (timeout)"
            if digit == "#":
                break
            digits += digit
        return f"200 result={digits}"


async def run_agi(pbx: Pbx, ch: Channel, url: str) -> None:
    """Run ``AGI(url)`` on a channel and set AGISTATUS."""
    parts = urlsplit(url)
    if parts.scheme != "agi" or not parts.hostname:
        pbx.set_var(ch, "AGISTATUS", "FAILURE")
        return
    host, port = pbx.agi_address or (parts.hostname, parts.port or 4573)
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError as exc:
        log.warning("agi_connect_failed", host=host, port=port, error=str(exc))
        pbx.set_var(ch, "AGISTATUS", "FAILURE")
        return
    session = AgiSession(pbx, ch, reader, writer)
    writer.write(environment(ch, url, []).encode())
    try:
        await session.run()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except (ConnectionError, OSError):
            pass
    status = "HANGUP" if session.dead else "FAILURE" if session.failed else "SUCCESS"
    pbx.set_var(ch, "AGISTATUS", status)
    if ch.state != UP and ch.pending is None:
        return
    pbx.check(ch)

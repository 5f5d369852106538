"""Incremental AMI parser: bytes in, :class:`AmiMessage` out.

Feed it whatever the socket returns; it keeps the incomplete tail for the next call. Messages end
with a blank line (``CRLF CRLF``; a bare ``LF LF`` is accepted too). The banner line
(``Asterisk Call Manager/x.y.z``) that opens a connection is read into :attr:`AmiParser.banner`.
Anything malformed is logged as ``ami_frame_malformed`` and skipped, and :meth:`AmiParser.feed`
never raises: a line without ``:`` (binary garbage) is dropped from its frame, and the frame is
kept only if it still is an event or a response; a frame over ``max_frame`` bytes is dropped whole.

Legacy ``Response: Follows`` frames (``Action: Command`` on Asterisk 11 and older) keep their
raw lines in ``Output`` (see :meth:`AmiMessage.getlist`), without the ``--END COMMAND--`` marker.
"""

from __future__ import annotations

from typing import Final

import structlog

from telephony.ami.message import AmiMessage

log = structlog.get_logger("telephony.ami.parser")

BANNER_PREFIX: Final = "Asterisk Call Manager/"
_BANNER_BYTES: Final = BANNER_PREFIX.encode()
_END_COMMAND: Final = "--END COMMAND--"
DEFAULT_MAX_FRAME: Final = 1 << 20  # 1 MiB: far above any real AMI message


class AmiParser:
    """Split an AMI byte stream into messages. One instance per connection."""

    __slots__ = ("_buf", "_discarding", "_expect_banner", "banner", "malformed", "max_frame")

    def __init__(self, *, max_frame: int = DEFAULT_MAX_FRAME, expect_banner: bool = True) -> None:
        self.max_frame = max_frame
        self.banner: str | None = None
        #: how many malformed frames (or lines) were skipped so far
        self.malformed = 0
        self._buf = b""
        self._expect_banner = expect_banner
        self._discarding = False

    def reset(self) -> None:
        """Forget any partial data (a new connection starts with a banner again)."""
        self._buf = b""
        self._expect_banner = True
        self._discarding = False
        self.banner = None

    def feed(self, data: bytes) -> list[AmiMessage]:
        """Add bytes read from the socket; return the messages they complete."""
        buf = self._buf + data if self._buf else data
        if self._expect_banner:
            buf = self._take_banner(buf)
            if self._expect_banner:
                self._buf = buf
                return []
        if b"\r" in buf:
            # a CR that ends the chunk may be half of a CRLF: keep it for the next call
            if buf[-1:] == b"\r":
                tail = b"\r"
                buf = buf[:-1]
            else:
                tail = b""
            buf = buf.replace(b"\r\n", b"\n")
        else:
            tail = b""
        end = buf.rfind(b"\n\n")
        if self._discarding:
            if end < 0:
                self._buf = tail
                return []
            buf = buf[buf.find(b"\n\n") + 2 :]
            end = buf.rfind(b"\n\n")
            self._discarding = False
        if end < 0:
            self._keep(buf + tail)
            return []
        rest = buf[end + 2 :]
        self._keep(rest + tail)
        text = buf[:end].decode("utf-8", "replace")
        out: list[AmiMessage] = []
        append = out.append
        for frame in text.split("\n\n"):
            if not frame:
                continue
            if frame[0] == "\n" or frame[-1] == "\n":  # runs of blank lines between messages
                frame = frame.strip("\n")
                if not frame:
                    continue
            if len(frame) > self.max_frame:
                self._malformed("oversize", frame)
                continue
            lines = frame.split("\n")
            try:
                msg = AmiMessage(line.split(": ", 1) for line in lines)
            except ValueError:
                parsed = self._slow(lines, frame)
                if parsed is not None:
                    append(parsed)
                continue
            if len(msg) != len(lines) or (
                "Event" not in msg and msg.get("Response") in (None, "Follows")
            ):
                parsed = self._slow(lines, frame)
                if parsed is not None:
                    append(parsed)
                continue
            append(msg)
        return out

    def _keep(self, rest: bytes) -> None:
        if len(rest) > self.max_frame:
            self._malformed("oversize", rest[:200].decode("utf-8", "replace"))
            self._discarding = True
            rest = b""
        self._buf = rest

    def _take_banner(self, buf: bytes) -> bytes:
        stripped = buf.lstrip(b"\r\n")
        nl = stripped.find(b"\n")
        if nl < 0:
            if len(stripped) >= len(_BANNER_BYTES) and not stripped.startswith(_BANNER_BYTES):
                self._expect_banner = False  # not a banner: parse as messages
                return buf
            return buf
        self._expect_banner = False
        line = stripped[:nl].rstrip(b"\r").decode("utf-8", "replace")
        if line.startswith(BANNER_PREFIX):
            self.banner = line
            return stripped[nl + 1 :]
        return buf

    def _slow(self, lines: list[str], frame: str) -> AmiMessage | None:
        """Careful path: repeated keys, legacy ``Follows`` output, lines without a colon."""
        msg = AmiMessage()
        multi: dict[str, list[str]] = {}
        follows = lines[0].startswith("Response: Follows")
        output: list[str] = []
        bad = 0
        for line in lines:
            key, sep, value = line.partition(":")
            if follows and output:
                if line != _END_COMMAND:
                    output.append(line)
                continue
            if not sep or not key or " " in key.strip() or not key.isprintable():
                if follows:
                    if line != _END_COMMAND:
                        output.append(line)
                    continue
                bad += 1
                continue
            if value.startswith(" "):
                value = value[1:]
            if key in msg:
                seen = multi.get(key)
                if seen is None:
                    multi[key] = [msg[key], value]
                else:
                    seen.append(value)
            msg[key] = value
        if output:
            multi["Output"] = output
            msg["Output"] = output[-1]
        if multi:
            msg.multi = multi
        if "Event" not in msg and "Response" not in msg:
            self._malformed("no Event or Response header", frame)
            return None
        if bad:
            self._malformed("line without colon", frame)
        return msg

    def _malformed(self, reason: str, frame: str) -> None:
        self.malformed += 1
        log.warning("ami_frame_malformed", reason=reason, size=len(frame), sample=frame[:120])

"""The twin's own AMI wire codec: frames of ``Key: Value`` lines ended by a blank line.

A message is an ordered list of ``(key, value)`` pairs, because Asterisk repeats keys
(``Variable`` in ``Status``) and the order of the lines is part of the protocol.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field

Message = list[tuple[str, str]]

BANNER = b"Asterisk Call Manager/11.0.0\r\n"


def encode(message: Message) -> bytes:
    """Render a message as Asterisk writes it (CRLF lines and a blank line)."""
    body = "".join(f"{key}: {value}\r\n" for key, value in message)
    return (body + "\r\n").encode("utf-8", "replace")


def get(message: Message, key: str, default: str = "") -> str:
    """Value of the first header named ``key`` (case-insensitive)."""
    wanted = key.lower()
    for k, v in message:
        if k.lower() == wanted:
            return v
    return default


def get_all(message: Message, key: str) -> list[str]:
    """Values of every header named ``key`` (case-insensitive)."""
    wanted = key.lower()
    return [v for k, v in message if k.lower() == wanted]


class BadFrame(ValueError):
    """A frame that is not a list of ``Key: Value`` lines."""


def parse_frame(text: str) -> Message:
    """Parse one frame; a line without a colon makes the frame bad."""
    message: Message = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep or not key.strip():
            raise BadFrame(f"not a header line: {line[:80]!r}")
        message.append((key.strip(), value.strip()))
    return message


@dataclass
class FrameSplitter:
    """Cuts a byte stream into frames on the blank line (CRLF or bare LF)."""

    max_frame: int = 65536
    _buffer: str = field(default="")
    _decoder: codecs.IncrementalDecoder = field(
        default_factory=lambda: codecs.getincrementaldecoder("utf-8")("replace")
    )

    def feed(self, data: bytes) -> list[str]:
        """Add bytes, return the complete frames they finish (cuts anywhere are fine)."""
        self._buffer = (self._buffer + self._decoder.decode(data)).replace("\r\n", "\n")
        frames: list[str] = []
        while "\n\n" in self._buffer:
            frame, self._buffer = self._buffer.split("\n\n", 1)
            if frame.strip():
                frames.append(frame)
        if len(self._buffer) > self.max_frame:
            frames.append(self._buffer)
            self._buffer = ""
        return frames

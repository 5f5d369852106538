"""Which sound files the twin's Asterisk has, and how long each plays.

A stock Asterisk 22 install has the core sounds; the product's own prompts are installed from
``asterisk-conf/sounds/`` (see that folder's README). Files that are not there make Playback
fail (PLAYBACKSTATUS=FAILED), ``STREAM FILE`` answer ``200 result=-1 endpos=0`` and ``GET
DATA`` answer ``200 result=-1`` at once, as on Asterisk.
"""

from __future__ import annotations

import wave
from pathlib import Path

#: Core sounds (en, asterisk-core-sounds 1.6) the twin knows, with their length in samples
#: at 8 kHz (the length of the GSM files: 160 samples per 33-byte frame).
STOCK_SOUNDS: dict[str, int] = {
    "hello-world": 11360,
    "beep": 3520,
    "silence/1": 8000,
    "vm-goodbye": 7040,
    "please-try-again": 10080,
    "one-moment-please": 12800,
    "hello": 6400,
    "silence/3": 24000,
    "silence/10": 80000,
    "vm-nobodyavail": 22400,
    "vm-intro": 45280,
}

#: The product's prompts, shipped in ``asterisk-conf/sounds/<language>/``.
SHIPPED = Path(__file__).resolve().parents[2] / "asterisk-conf" / "sounds"


def shipped_sounds(folder: Path = SHIPPED / "en") -> dict[str, int]:
    """The WAV prompts in ``folder`` (name without extension -> samples at 8 kHz)."""
    found: dict[str, int] = {}
    for path in sorted(folder.glob("*.wav")):
        with wave.open(str(path)) as audio:
            found[path.stem] = audio.getnframes() * 8000 // audio.getframerate()
    return found


def installed_sounds() -> dict[str, int]:
    """What an Asterisk installed as ``asterisk-conf/README.md`` says has: the core sounds
    and the product's prompts."""
    return {**STOCK_SOUNDS, **shipped_sounds()}


__all__ = ["SHIPPED", "STOCK_SOUNDS", "installed_sounds", "shipped_sounds"]

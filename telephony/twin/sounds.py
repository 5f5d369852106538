"""Which sound files the twin's Asterisk has, and how long each plays.

A stock Asterisk 22 install has the core sounds; files that are not there make Playback
fail (PLAYBACKSTATUS=FAILED), ``STREAM FILE`` answer ``200 result=-1 endpos=0`` and
``GET DATA`` answer ``200 result=-1`` at once, as on Asterisk.
"""

from __future__ import annotations

#: Core sounds (en) the twin knows, with their length in samples at 8 kHz.
STOCK_SOUNDS: dict[str, int] = {
    "hello-world": 11360,
    "beep": 2000,
    "silence/1": 8000,
    "vm-goodbye": 6400,
}

__all__ = ["STOCK_SOUNDS"]

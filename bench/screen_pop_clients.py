"""The 500 agents' desks of ``bench/screen_pop_push.py``, in a process of their own (as the
agents' browsers are), so the engine's figures do not carry the clients' work.

Reads one JSON line on stdin: ``{"url": "ws://.../api/agent/ws", "tokens": [...]}``; opens one
WebSocket per token (bearer), prints ``{"ready": N}``, then one line per ``offer`` received:
``{"call": ID, "at": time.monotonic(), "view": true|false}`` (the system-wide monotonic clock,
comparable with the engine process's). Runs until killed.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import aiohttp


def say(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data) + "\n")
    sys.stdout.flush()


async def read(ws: aiohttp.ClientWebSocketResponse) -> None:
    async for message in ws:
        if message.type is not aiohttp.WSMsgType.TEXT:
            continue
        at = time.monotonic()
        data: dict[str, Any] = message.json()
        if data["type"] == "offer":
            say({"call": data["call"]["call_id"], "at": at, "view": data["view"] is not None})


async def main() -> None:
    config = json.loads(await asyncio.to_thread(sys.stdin.readline))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        readers = []
        for token in config["tokens"]:
            ws = await http.ws_connect(config["url"], headers={"Authorization": f"Bearer {token}"})
            readers.append(asyncio.create_task(read(ws)))
        say({"ready": len(readers)})
        await asyncio.gather(*readers)


if __name__ == "__main__":
    asyncio.run(main())

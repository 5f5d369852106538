"""redis-py's TCP connection, its write timeout kept without a task per command.

redis-py bounds each write by ``socket_timeout`` with ``asyncio.wait_for``, which on Python
3.11 wraps the write in a new task: one task, one extra pass of the event loop and one timer
for every command and pipeline the ACD sends (an offer's reservation, every store batch).
:class:`TimedWriteConnection` keeps the same bound with ``asyncio.timeout`` around the same
write: on expiry the connection is dropped and ``redis.exceptions.TimeoutError`` raised, as
redis-py does; other failures are redis-py's own handling, unchanged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import redis.asyncio as aioredis
from redis.exceptions import TimeoutError as RedisTimeoutError


class TimedWriteConnection(aioredis.Connection):
    """A :class:`redis.asyncio.Connection` whose writes time out under ``asyncio.timeout``."""

    async def send_packed_command(
        self, command: bytes | str | Iterable[bytes], check_health: bool = True
    ) -> None:
        timeout = self.socket_timeout
        if not timeout:
            await super().send_packed_command(command, check_health)
            return
        self.socket_timeout = None  # redis-py writes at once (no wait_for) without a bound
        try:
            async with asyncio.timeout(timeout):
                await super().send_packed_command(command, check_health)
        except TimeoutError:
            await self.disconnect(nowait=True)
            raise RedisTimeoutError("Timeout writing to socket") from None
        finally:
            self.socket_timeout = timeout

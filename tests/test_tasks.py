"""Owned tasks stop for sure, even when a client library swallows their cancellation."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from atende.floor.source import RedisWatch
from telephony.tasks import cancel_and_wait
from tests.conftest import REDIS_URL


async def test_a_task_that_swallows_its_cancellation_is_cancelled_again() -> None:
    """A loop that turns its first cancellation into an error and goes on is still stopped."""
    swallowed = 0

    async def stubborn() -> None:
        nonlocal swallowed
        while True:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                if swallowed == 0:
                    swallowed += 1
                    continue  # what a client library that eats the cancellation does
                raise

    task = asyncio.create_task(stubborn(), name="stubborn")
    await asyncio.sleep(0)
    await cancel_and_wait([task], retry=0.05)
    assert task.cancelled()
    assert swallowed == 1


async def test_redis_watch_stops_when_cancelled_mid_ping() -> None:
    """The floor's Redis watch, pinging a real Redis without pause, ends when cancelled (the
    client turns a cancellation mid-command into an error)."""
    client = aioredis.Redis.from_url(REDIS_URL)
    watch = RedisWatch(client.ping, lambda: None, interval=0)
    task = asyncio.create_task(watch.run(), name="floor-redis")
    try:
        await asyncio.sleep(0.3)
        task.cancel()
        done, _ = await asyncio.wait([task], timeout=10)
        assert task in done and task.cancelled()
    finally:
        task.cancel()
        await client.aclose()

"""The floor's changes (pure), the hub that sends them, and the Redis watch on a real Redis."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from redis.asyncio import Redis

from atende.floor import FloorHub, RedisWatch, changes
from atende.floor.state import apply
from tests.conftest import REDIS_URL

rows = st.dictionaries(
    st.sampled_from(["a", "b", "c", "d"]),
    st.dictionaries(st.sampled_from(["state", "since"]), st.integers(0, 3), max_size=2),
    max_size=4,
)
floors = st.dictionaries(st.sampled_from(["agents", "queues", "calls"]), rows, max_size=3)


def nonempty(floor: dict[str, Any]) -> dict[str, Any]:
    return {section: rows for section, rows in floor.items() if rows}


@given(floors, floors)
def test_changes_turn_one_floor_into_the_next(before: Any, after: Any) -> None:
    """Applying the changes to the old floor gives the new one; equal floors have none."""
    change = changes(before, after)
    if nonempty(before) == nonempty(after):
        assert change is None or not any(change["upsert"].values())
    if change is not None:
        assert apply(before, change) == nonempty(after)
        # only what differs is sent
        for section, upserted in change["upsert"].items():
            for key, row in upserted.items():
                assert before.get(section, {}).get(key) != row


async def test_hub_sends_snapshot_then_numbered_changes_and_drops_a_slow_page() -> None:
    """A joining page gets the current floor, then each change once, in order; a page that
    does not read is dropped after ``backlog`` messages without holding the others up."""
    state: dict[str, Any] = {"agents": {"1": {"state": "available"}}}
    hub = FloorHub(lambda: json.loads(json.dumps(state)), backlog=3)
    reader = hub.join()
    sleeper = hub.join()
    first = json.loads(reader.queue.get_nowait() or "")
    assert first["type"] == "snapshot" and first["floor"] == state
    hub.build()
    assert reader.queue.empty()  # nothing changed, nothing sent
    for n in range(5):
        state["agents"]["1"] = {"state": "paused", "n": n}
        hub.build()
        message = json.loads(reader.queue.get_nowait() or "")
        assert message["seq"] == first["seq"] + n + 1
        assert message["upsert"] == {"agents": {"1": {"state": "paused", "n": n}}}
    assert sleeper.dropped and sleeper not in hub.clients
    assert sleeper.queue.get_nowait() is None  # its sender closes the socket
    assert reader in hub.clients and not reader.dropped


async def test_hub_builds_when_told_and_on_its_heartbeat() -> None:
    """Nothing is built while no page watches; then a change noted wakes the hub's task, and
    without one it still builds every heartbeat."""
    built: list[int] = []

    def source() -> dict[str, Any]:
        built.append(1)
        return {"links": {"x": {"up": len(built) % 2 == 0}}}

    hub = FloorHub(source, min_gap=0.0, heartbeat=0.2)
    task = asyncio.create_task(hub.run())
    try:
        hub.changed()
        await asyncio.sleep(0.5)
        assert built == []  # no page: nothing built
        hub.join()
        hub.changed()
        for _ in range(100):
            if len(built) >= 4:
                break
            await asyncio.sleep(0.05)
        assert len(built) >= 4 and hub.seq >= 3
    finally:
        task.cancel()


async def test_hub_stops_building_when_the_last_page_leaves() -> None:
    """Once the last page left, changes and heartbeats build nothing; a page that joins
    again gets a fresh floor and changes are built for it again."""
    built: list[int] = []

    def source() -> dict[str, Any]:
        built.append(1)
        return {"links": {"x": {"n": len(built)}}}

    hub = FloorHub(source, min_gap=0.0, heartbeat=0.05)
    task = asyncio.create_task(hub.run())
    try:
        page = hub.join()
        hub.changed()
        for _ in range(100):
            if len(built) >= 3:
                break
            await asyncio.sleep(0.02)
        hub.leave(page)
        await asyncio.sleep(0.1)  # a build already under way ends
        left_at = len(built)
        for _ in range(5):
            hub.changed()
            await asyncio.sleep(0.05)
        assert len(built) == left_at
        hub.join()
        assert len(built) == left_at + 1  # the joining page's fresh floor
        hub.changed()
        for _ in range(100):
            if len(built) > left_at + 1:
                break
            await asyncio.sleep(0.02)
        assert len(built) > left_at + 1
    finally:
        task.cancel()


async def test_redis_watch_flips_on_a_real_redis() -> None:
    """A reachable Redis is up; a Redis that answers nothing is down, told once per flip."""
    told: list[bool | None] = []
    good = Redis.from_url(REDIS_URL)
    bad = Redis.from_url("redis://127.0.0.1:1/0")
    try:
        watch = RedisWatch(good.ping, lambda: told.append(watch.up), timeout=1.0)
        await watch.check()
        assert watch.up is True and told == []
        watch.ping = bad.ping
        await watch.check()
        await watch.check()
        assert watch.up is False and told == [False]
        watch.ping = good.ping
        await watch.check()
        assert watch.up is True and told == [False, True]
    finally:
        await good.aclose()
        await bad.aclose()
    assert RedisWatch(None, lambda: None).up is None

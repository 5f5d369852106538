"""The ACD's store writer on the real Redis: a backlog of queued writes never shows an agent
reserved by a call of ours that already ended."""

from __future__ import annotations

from acd.live.store import RedisStore, StoreBatch
from acd.live.store_writer import StoreWriter
from tests.conftest import REDIS_URL


async def test_a_queued_release_is_written_before_the_next_reservation(redis_prefix: str) -> None:
    """The writer task is not running (a backlog): agent 2001's call 1.1 ends and its release
    waits in the queue. Reserving 2001 for call 1.2 is granted at once (the release goes first),
    and the release written later by the task leaves the new reservation alone."""
    store = RedisStore(REDIS_URL, redis_prefix)
    writer = StoreWriter(store, "main")
    try:
        assert await writer.reserve("2001", "1.1", "e1")
        await writer.release("2001", "1.1")  # queued, not written
        assert await store.reservation("2001") == "1.1"
        assert await writer.reserve("2001", "1.2", "e1")
        assert await store.reservation("2001") == "1.2"
        await writer.write_pending()  # what the writer task does next
        assert await store.reservation("2001") == "1.2"
        other = StoreWriter(store, "other")
        assert not await other.reserve("2001", "9.9", "e2")  # still ours
    finally:
        await store.close()


async def test_a_release_queued_during_an_outage_is_written_on_return(redis_prefix: str) -> None:
    """A release queued while the store is away is not dropped by the rewrite that follows
    its return: the agent's reservation is gone from Redis afterwards."""
    store = RedisStore(REDIS_URL, redis_prefix)
    writer = StoreWriter(store, "main")
    try:
        assert await writer.reserve("2002", "2.1", "e1")
        writer.away = True  # as after a failed write
        await writer.release("2002", "2.1")
        await writer._rewrite()
        assert not writer.away
        assert await store.reservation("2002") is None
    finally:
        await store.close()


class CountingStore(RedisStore):
    """The Redis store, counting the releases sent on their own."""

    def __init__(self, url: str, prefix: str) -> None:
        super().__init__(url, prefix)
        self.releases = 0

    async def release(self, agent_id: str, call_id: str) -> None:
        self.releases += 1
        await super().release(agent_id, call_id)


async def test_a_queued_release_travels_with_the_next_reservation(redis_prefix: str) -> None:
    """Agent 2003's call 3.1 ended (its release queued) and the router offers him call 3.2:
    the release and the reservation reach Redis as one step (no release sent on its own),
    and the agent is held for 3.2."""
    store = CountingStore(REDIS_URL, redis_prefix)
    writer = StoreWriter(store, "main")
    try:
        assert await writer.reserve("2003", "3.1", "e1")
        await writer.release("2003", "3.1")  # queued, not written
        assert await writer.reserve("2003", "3.2", "e1")
        assert store.releases == 0
        assert await store.reservation("2003") == "3.2"
    finally:
        await store.close()


async def test_a_reservation_releases_only_our_own_calls(redis_prefix: str) -> None:
    """The releases sent with a reservation compare before they delete: another engine's
    hold on agent 2004 (call 9.1) stays, and our reservation is refused."""
    store = RedisStore(REDIS_URL, redis_prefix)
    try:
        assert await store.reserve("2004", "9.1", "e2")
        assert not await store.reserve("2004", "4.2", "e1", released=["4.1"])
        assert await store.reservation("2004") == "9.1"
        assert await store.reserve("2004", "9.2", "e2", released=["9.1"])
        assert await store.reservation("2004") == "9.2"
    finally:
        await store.close()


async def test_a_batch_releases_only_the_calls_it_names(redis_prefix: str) -> None:
    """One batch releases agent 2005 (held for 5.1, released for 5.1) and names 2006 for a
    call he is no longer held for (5.2, held for 5.3 now): 2005 is free, 2006 stays held."""
    store = RedisStore(REDIS_URL, redis_prefix)
    try:
        assert await store.reserve("2005", "5.1", "e1")
        assert await store.reserve("2006", "5.3", "e1")
        await store.write(StoreBatch(releases=[("2005", "5.1"), ("2006", "5.2")]))
        assert await store.reservation("2005") is None
        assert await store.reservation("2006") == "5.3"
    finally:
        await store.close()


async def test_a_heartbeat_alone_and_with_other_writes_reaches_redis(redis_prefix: str) -> None:
    """A batch holding the heartbeat only (an idle engine's) and one holding it with an agent
    both store the beat and the queue log's mark."""
    from acd.live.store import StoredAgent

    store = RedisStore(REDIS_URL, redis_prefix)
    try:
        await store.write(StoreBatch(beat=("main", 100.5, None)))
        assert (await store.last_beat("main"), await store.logged_through("main")) == (100.5, None)
        agent = StoredAgent("2004", "PJSIP/2004", {"sales": 1})
        await store.write(StoreBatch(agents={"2004": agent}, beat=("main", 101.0, 99.25)))
        assert (await store.last_beat("main"), await store.logged_through("main")) == (101.0, 99.25)
        assert await store.agents() == [agent]
        await store.write(StoreBatch(beat=("main", 101.5, 100.0)))
        assert (await store.last_beat("main"), await store.logged_through("main")) == (101.5, 100.0)
    finally:
        await store.close()

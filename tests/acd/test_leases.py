"""Engine leases in the real Redis: a dead engine's share is claimed once, atomically."""

from __future__ import annotations

import asyncio

import pytest

from acd.live.call import CallState, StoredCall
from acd.live.store import RedisStore, ShareAdopted
from tests.conftest import REDIS_URL


async def _expired(store: RedisStore, engine: str, dead: str) -> None:
    """Until ``dead``'s lease is gone (its TTL ran out)."""
    for _ in range(200):
        if dead in await store.expired(engine):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{dead}'s lease never expired")


async def test_a_dead_engines_calls_go_to_exactly_one_survivor(redis_prefix: str) -> None:
    """Engine a stores two calls and stops renewing its lease. While the lease lives nobody
    can claim it; once it expired, two survivors claim it at the same moment: exactly one gets
    both calls, rewritten to its name with every other field unchanged; a second claim finds
    nothing."""
    a, b, c = (RedisStore(REDIS_URL, redis_prefix) for _ in range(3))
    try:
        assert not await a.join("a", "run-1", 0.3)
        waiting = StoredCall("1.1", "vendas", "PJSIP/x-1", "5511", 1764425069.123456, owner="a")
        talking = StoredCall(
            "1.2", "vendas", "PJSIP/x-2", "5512", 1764425070.5, agent="2001",
            state=CallState.CONNECTED, owner="a", answered_at=1764425071.25,
        )  # fmt: skip
        mine = StoredCall("1.3", "suporte", "PJSIP/x-3", "5513", 1764425072.0, owner="b")
        for call in (waiting, talking, mine):
            await a.save_call(call)
        await b.join("b", "run-1", 30)
        await c.join("c", "run-1", 30)
        assert await b.adopt("a", "b") is None  # the lease is alive
        await _expired(b, "b", "a")
        claims = await asyncio.gather(b.adopt("a", "b"), c.adopt("a", "c"))
        won = [claim for claim in claims if claim is not None]
        assert len(won) == 1
        winner = "b" if claims[0] is not None else "c"
        assert sorted(won[0], key=lambda x: x.call_id) == [
            StoredCall.from_dict(waiting.to_dict() | {"owner": winner}),
            StoredCall.from_dict(talking.to_dict() | {"owner": winner}),
        ]
        owners = {call.call_id: call.owner for call in await b.calls()}
        assert owners == {"1.1": winner, "1.2": winner, "1.3": "b"}
        assert await b.adopt("a", "b") is None and await c.adopt("a", "c") is None
        assert "a" not in await b.expired("b")
    finally:
        for store in (a, b, c):
            await store.close()


async def test_a_returning_engine_learns_its_share_was_adopted(redis_prefix: str) -> None:
    """An engine whose share was adopted is told so once: when it joins again after a restart
    (it then owns no call), or at its renewals if it was still running, until it says it
    handed the adopted calls over."""
    a, b = RedisStore(REDIS_URL, redis_prefix), RedisStore(REDIS_URL, redis_prefix)
    try:
        await a.join("a", "run-1", 0.2)
        await a.save_call(StoredCall("2.1", "vendas", "PJSIP/y-1", "5521", 10.0, owner="a"))
        await b.join("b", "run-1", 30)
        await _expired(b, "b", "a")
        assert await b.adopt("a", "b") is not None
        assert await a.join("a", "run-2", 30)  # back after a restart: adopted meanwhile
        assert [c.owner for c in await a.calls()] == ["b"]
        assert await a.renew("a", "run-2", 30)
        assert not await a.join("a", "run-3", 0.2)  # a quick restart: nothing was adopted

        await _expired(b, "b", "a")
        assert await b.adopt("a", "b") == []  # nothing of its own left to move
        assert not await a.renew("a", "run-3", 30)  # still running: its lease was lost
        assert not await a.renew("a", "run-3", 30)  # said until it handed the calls over
        await a.share_lost_seen("a")
        assert await a.renew("a", "run-3", 30)  # it holds a lease again
        assert "a" not in await b.expired("b")
    finally:
        await a.close()
        await b.close()


async def test_an_engine_whose_share_was_adopted_reserves_no_agent(redis_prefix: str) -> None:
    """Engine a's lease ran out while it was stalled and b adopted its share: until a has
    handed the adopted calls over, every reservation a asks is refused (``ShareAdopted``) and
    the agent stays free for b; afterwards a reserves again, and b's reservations were never
    affected."""
    a, b = RedisStore(REDIS_URL, redis_prefix), RedisStore(REDIS_URL, redis_prefix)
    try:
        await a.join("a", "run-1", 0.2)
        await a.save_call(StoredCall("3.1", "vendas", "PJSIP/z-1", "5531", 10.0, owner="a"))
        assert await a.reserve("2001", "3.0", "a")  # a's lease alive: granted
        await a.release("2001", "3.0")
        await b.join("b", "run-1", 30)
        await _expired(b, "b", "a")
        assert await b.adopt("a", "b") is not None
        with pytest.raises(ShareAdopted):
            await a.reserve("2001", "3.1", "a")
        assert await a.reservation("2001") is None
        assert await b.reserve("2001", "3.1", "b")
        await a.share_lost_seen("a")
        assert not await a.reserve("2001", "3.2", "a")  # b holds him
        assert await a.reserve("2002", "3.2", "a")
    finally:
        await a.close()
        await b.close()

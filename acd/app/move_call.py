"""Move a waiting caller: to another queue, or to the front of his own."""

from __future__ import annotations

from acd.app.models import CallMoved, MoveIn
from acd.app.ports import LiveAcd
from acd.domain import CallNotFound


def _moved(acd: LiveAcd, call_id: str) -> CallMoved:
    call = acd.router.calls.get(call_id)
    if call is None:  # the move ended his wait at once (answered, overflowed away, timed out)
        raise CallNotFound(f"call {call_id!r} is no longer waiting")
    return CallMoved(call=call_id, queue=call.queue, priority=call.priority)


async def move_call(acd: LiveAcd, call_id: str, body: MoveIn) -> CallMoved:
    """``call_not_found``, ``queue_not_found``, ``call_state_conflict`` (not waiting, or in
    that queue already), ``queue_refused`` (full, or unstaffed and refusing)."""
    await acd.move_call(call_id, body.queue)
    call = acd.router.calls.get(call_id)
    priority = call.priority if call is not None else 0
    return CallMoved(call=call_id, queue=call.queue if call else body.queue, priority=priority)


async def move_to_front(acd: LiveAcd, call_id: str) -> CallMoved:
    """``call_not_found``, ``call_state_conflict`` (not waiting)."""
    await acd.move_to_front(call_id)
    return _moved(acd, call_id)

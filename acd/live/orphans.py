"""Callers on hold that no engine owns are adopted: queued by their DID's queue (else ROUTE's).

When the FastAGI IVR could not be reached (engine down) or was cut (engine killed), the dialplan
sets ``ROUTE=queue:<default>`` and plays music on hold in ``[inbound-hold]``, with ``ATENDE_DID``
inherited from ``[inbound]``. At start and after every resync the ACD looks for such callers in
the tracker, reads ``ROUTE`` and ``ATENDE_DID`` with one AMI ``Status`` each (outside the lock, in
an owned task), and queues them with their real join time (the channel's age), oldest first.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass

import structlog

from acd.domain import AcdError, Decision
from acd.live.call import StoredCall
from acd.live.restore import Restore
from telephony.ami import AmiActionError

log = structlog.get_logger("acd.live")

_SEQ = re.compile(r"(\d+)\.(\d+)$")


@dataclass(frozen=True)
class Orphan:
    """A caller found waiting on hold with no ACD call."""

    call_id: str
    channel: str
    caller: str
    joined: float
    order: tuple[int, int]  # the uniqueid's (epoch, sequence): Asterisk's creation order


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


class Orphans(Restore):
    """``_look_for_orphans`` (under the lock) starts ``_adopt`` (its own task)."""

    _adopting: asyncio.Task[None] | None = None
    _adopt_again = False

    def _look_for_orphans(self) -> None:
        """Callers in the hold context whose call no engine holds; adopted in a task."""
        if self._adopting is not None and not self._adopting.done():
            self._adopt_again = True
            return
        tracker = self.link.tracker
        found: dict[str, Orphan] = {}
        for ch in tracker.channels(self.server):
            if ch.context != self.contexts.hold or ch.dialled_by is not None:
                continue
            if not (ch.on_hold or ch.application == "MusicOnHold"):
                continue
            call = tracker.call(self.server, ch.call_id)
            if call is None or call.ended_at is not None or call.linkedid in self.calls:
                continue
            if call.linkedid in self._held:
                continue
            match = _SEQ.search(ch.uniqueid)
            order = (int(match[1]), int(match[2])) if match else (0, 0)
            caller = tracker.caller_of(call) or ""
            found.setdefault(
                call.linkedid, Orphan(call.linkedid, ch.name, caller, call.started_at, order)
            )
        if found:
            self._adopt_again = False
            self._adopting = asyncio.create_task(self._adopt(sorted(found.values(), key=_key)))

    async def _adopt(self, orphans: list[Orphan]) -> None:
        routes: list[tuple[Orphan, str]] = []
        for orphan in orphans:
            queue = await self._queue_of(orphan)
            if queue is not None:
                routes.append((orphan, queue))
        async with self._lock:
            stored = {c.call_id for c in await self.store.calls_now()}
            decisions: list[Decision] = []
            last = 0.0
            for orphan, queue in routes:
                if orphan.call_id in self.calls or orphan.call_id in stored:
                    continue
                tracked = self.link.tracker.call(self.server, orphan.call_id)
                if tracked is None or tracked.ended_at is not None:
                    continue
                now = self.clock()
                joined = max(min(orphan.joined, now), last + 1e-3)  # arrival order kept
                last = joined
                try:
                    decisions += self.router.call_arrived(
                        orphan.call_id, queue, now, 0, entered_at=joined
                    )
                except AcdError as exc:
                    log.warning("acd_orphan_refused", linkedid=orphan.call_id, error=str(exc))
                    continue
                call = StoredCall(
                    orphan.call_id, queue, orphan.channel, orphan.caller, joined,
                    owner=self.engine_id,
                )  # fmt: skip
                self.calls[call.call_id] = call
                self._take(call.call_id)
                await self.store.save_call(call)
                log.info("acd_orphan_adopted", linkedid=call.call_id, queue=queue, joined=joined)
            await self._run(decisions)
        if self._adopt_again:  # a resync came meanwhile: look again
            async with self._lock:
                self._adopting = None
                self._look_for_orphans()

    async def _queue_of(self, orphan: Orphan) -> str | None:
        """The DID's queue, else ROUTE's (``queue:<name>``); None for a caller not routed."""
        action = {"Action": "Status", "Channel": orphan.channel, "Variables": "ROUTE,ATENDE_DID"}
        try:
            result = await self.link.send_action(self.server, action)
        except (AmiActionError, ConnectionError, TimeoutError) as exc:
            log.info("acd_orphan_status_failed", linkedid=orphan.call_id, error=str(exc))
            return None
        variables: dict[str, str] = {}
        for event in result.events:
            variables.update(event.variables())
        did = _digits(variables.get("ATENDE_DID", ""))
        route = variables.get("ROUTE", "")
        queue = self.did_queues.get(did) if did else None
        if queue is None and route.startswith("queue:"):
            queue = route.removeprefix("queue:")
        if queue is None or queue not in self.router.queues:
            log.info("acd_orphan_not_routed", linkedid=orphan.call_id, route=route, did=did)
            return None
        return queue

    async def _stop_adopting(self) -> None:
        task, self._adopting = self._adopting, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _key(orphan: Orphan) -> tuple[tuple[int, int], float]:
    return (orphan.order, orphan.joined)

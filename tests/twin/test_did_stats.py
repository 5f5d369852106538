"""The twin's per-number statistics count as offered only callers routed to a queue."""

from __future__ import annotations

import asyncio

from telephony.twin import Twin, TwinConfig
from tests.twin.client import FastAgiServer, command, eventually

DID = "1133330001"


async def _twin_with_ivr(server: FastAgiServer) -> Twin:
    port = await server.start()
    twin = Twin(TwinConfig(agi_address=("127.0.0.1", port), time_scale=0.02))
    await twin.start()
    return twin


async def test_caller_who_hangs_up_in_the_ivr_is_lost_before_routing() -> None:
    """A caller who hangs up while the IVR has not set ROUTE yet is counted as lost before
    routing, not offered and not abandoned; a caller routed then hanging up on hold is
    offered and abandoned."""
    release = asyncio.Event()

    async def ivr(
        env: dict[str, str], reader: asyncio.StreamReader, w: asyncio.StreamWriter
    ) -> None:
        await command(reader, w, "ANSWER")
        if env["agi_callerid"] == "5511999990001":  # the first caller: the IVR is slow
            await release.wait()
            return
        await command(reader, w, "SET VARIABLE ROUTE queue:vendas")

    server = FastAgiServer(ivr)
    twin = await _twin_with_ivr(server)
    try:
        lost = await twin.place_inbound_call(DID, "5511999990001", "Lost")
        assert lost is not None
        await eventually(lambda: len(server.sessions) == 1)
        assert twin.hangup(lost.name)
        release.set()  # the IVR ends without routing him
        await eventually(lambda: twin.stats[DID].lost_before_routing == 1)
        routed = await twin.place_inbound_call(DID, "5511999990002", "Routed")
        assert routed is not None
        await eventually(lambda: twin.stats[DID].offered == 1)
        assert twin.hangup(routed.name)
        await eventually(lambda: not twin.channels())
        stats = twin.stats[DID]
        assert (stats.arrived, stats.offered, stats.lost_before_routing) == (2, 1, 1)
        assert (stats.answered_by_agent, stats.abandoned) == (0, 1)
        assert twin.answered_calls == frozenset()
    finally:
        release.set()
        await twin.stop()
        await server.stop()


async def test_route_set_as_the_caller_hangs_up_counts_as_routed() -> None:
    """Asterisk sets ROUTE on a channel that is hanging up: a caller whose IVR sets ROUTE
    after his HANGUP is routed (offered, abandoned), as the engine counts him from AMI."""
    hung_up = asyncio.Event()

    async def ivr(
        env: dict[str, str], reader: asyncio.StreamReader, w: asyncio.StreamWriter
    ) -> None:
        await command(reader, w, "ANSWER")
        await hung_up.wait()
        w.write(b"SET VARIABLE ROUTE queue:vendas\n")
        lines = [await reader.readline(), await reader.readline()]
        assert lines[0] == b"HANGUP\n" and lines[1].startswith(b"200 result=1"), lines

    server = FastAgiServer(ivr)
    twin = await _twin_with_ivr(server)
    try:
        caller = await twin.place_inbound_call(DID, "5511999990003", "Late")
        assert caller is not None
        await eventually(lambda: len(server.sessions) == 1)
        assert twin.hangup(caller.name)
        hung_up.set()
        await eventually(lambda: not twin.channels())
        stats = twin.stats[DID]
        assert (stats.arrived, stats.offered, stats.abandoned) == (1, 1, 1)
        assert stats.lost_before_routing == 0
    finally:
        await twin.stop()
        await server.stop()

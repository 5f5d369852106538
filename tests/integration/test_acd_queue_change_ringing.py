"""A queue change while an agent's phone rings (music on hold playing during the Dial, as the
shipped ``m(default)`` option does): the ring goes on and the agent gets the call."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import migrated_sqlite
from tests.integration.acd_stack import four_queues, running_acd
from tests.integration.conftest import eventually


async def test_queue_change_while_an_agent_rings_keeps_the_ring(tmp_path: Path) -> None:
    """A vendas caller rings 2001 (DialBegin, then MusicOnHoldStart on the caller); the
    queues are set again, unchanged: no Redirect cancels the Dial (no DialEnd CANCEL), 2001
    answers and talks to him, and the queue counts one answered call, no ring-no-answer."""
    url = migrated_sqlite(tmp_path / "acd.db")
    queues = four_queues(ring_timeout=60)
    async with running_acd(url, queues, {"2001": {"sales": 3}, "2002": {"sales": 2}}) as (
        twin,
        engine,
    ):
        assert engine.acd is not None
        acd = engine.acd
        for ext in ("2001", "2002"):  # 2 s of ringing in real time
            twin.set_agent_phone(f"Local/{ext}@agents", answer=True, delay=40)
        caller = await twin.place_inbound_call("1133330001", "5511999993001", "Maria")
        assert caller is not None

        def events(name: str) -> list[dict[str, str]]:
            return [
                dict(m)
                for m in twin.event_log
                if dict(m).get("Event") == name and dict(m).get("Linkedid") == caller.linkedid
            ]

        def music_while_ringing() -> bool:
            """MusicOnHoldStart on the caller after his DialBegin (the offer may reach him
            before his first hold music started)."""
            seen = []
            for m in twin.event_log:
                fields = dict(m)
                if fields.get("Linkedid") != caller.linkedid:
                    continue
                event = fields.get("Event")
                if event == "DialBegin" or (
                    event == "MusicOnHoldStart" and fields.get("Channel") == caller.name
                ):
                    seen.append(event)
            return "DialBegin" in seen and "MusicOnHoldStart" in seen[seen.index("DialBegin") :]

        def rung() -> list[str]:
            return [a for a in ("2001", "2002") if acd.router.agent(a).state.value == "ringing"]

        await eventually(lambda: music_while_ringing() and len(rung()) == 1, timeout=15)
        (ringing,) = rung()
        await acd.reconfigure(queues)

        def bridged_agent() -> str | None:
            for ch in twin.channels():
                if ch.linkedid == caller.linkedid and ch.bridge and "@agents" in ch.name:
                    return ch.name.split("/", 1)[1].split("@", 1)[0]
            return None

        await eventually(lambda: bridged_agent() is not None, timeout=15)
        assert bridged_agent() == ringing
        assert all(m.get("DialStatus") != "CANCEL" for m in events("DialEnd"))
        await eventually(lambda: acd.calls[caller.linkedid].state == "connected", timeout=10)
        vendas = next(q for q in acd.live_view()["queues"] if q["queue"] == "vendas")
        assert (vendas["answered"], vendas["no_answers"]) == (1, 0)

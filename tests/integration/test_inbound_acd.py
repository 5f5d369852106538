"""The inbound path end to end: twin callers through the IVR into queues, matched and connected."""

from __future__ import annotations

from pathlib import Path

from atende.wiring import Engine
from tests.integration.acd_stack import acd_settings, four_queues, product_twin, seed_acd
from tests.integration.conftest import eventually


def _bridged_agents(twin_channels: list) -> dict[str, str]:  # type: ignore[type-arg]
    """linkedid -> agent extension for every caller bridged with an agent's phone."""
    out = {}
    for ch in twin_channels:
        if ch.bridge and ch.name.startswith("Local/") and "@agents" in ch.name:
            out[ch.linkedid] = ch.name.split("/", 1)[1].split("@", 1)[0]
    return out


async def test_callers_reach_agents_with_the_right_skill(tmp_path: Path) -> None:
    """Callers on two DIDs wait on hold, then each is connected to an agent with his skill."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'acd.db'}"
    await seed_acd(url, four_queues(), {"2001": {"sales": 3}, "2002": {"support": 2}})
    twin = product_twin(0.05)
    port = await twin.start()
    engine = Engine(acd_settings(port, url))
    await engine.start()
    twin.pbx.agi_address = ("127.0.0.1", engine.agi.port)
    try:
        twin.set_agent_phone("Local/2001@agents", answer=True, delay=1)
        twin.set_agent_phone("Local/2002@agents", answer=True, delay=1)
        sales = await twin.place_inbound_call("1133330001", "5511999990001", "Maria")
        support = await twin.place_inbound_call("1133330002", "5511999990002", "Joao")
        assert sales is not None and support is not None

        def both_bridged() -> bool:
            return len(_bridged_agents(twin.channels())) == 2

        await eventually(both_bridged, timeout=15)
        bridged = _bridged_agents(twin.channels())
        assert bridged[sales.linkedid] == "2001"
        assert bridged[support.linkedid] == "2002"
        assert engine.acd is not None
        states = {a["agent"]: a["state"] for a in engine.acd.live_view()["agents"]}
        assert states == {"2001": "on_call", "2002": "on_call"}
        queues = {q["queue"]: q for q in engine.acd.live_view()["queues"]}
        assert queues["vendas"]["answered"] == 1 and queues["suporte"]["answered"] == 1
    finally:
        await engine.stop()
        await twin.stop()

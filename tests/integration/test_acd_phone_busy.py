"""An agent whose phone Asterisk shows in a call the engine did not route (a dead engine's call
after Redis came back empty, a call of his own) is never offered a second call."""

from __future__ import annotations

from pathlib import Path

from structlog.testing import capture_logs

from acd.domain import QueueConfig
from telephony.twin.pbx import OriginateRequest
from tests.conftest import migrated_sqlite
from tests.integration.acd_stack import running_acd
from tests.integration.conftest import eventually

VENDAS = "1133330001"


async def test_an_agent_busy_on_a_call_the_engine_did_not_route_is_held(tmp_path: Path) -> None:
    """2001 is logged in and available; a call the engine knows nothing of reaches his phone
    and he answers. The engine pauses him ``phone busy`` (``acd_agent_phone_busy``); a vendas
    caller then waits rather than being offered to him. Once that call ends he is unpaused
    and the caller is connected to him."""
    url = migrated_sqlite(tmp_path / "acd.db")
    queues = [QueueConfig(name="vendas", skills={"sales": 1})]
    with capture_logs() as logs:
        async with running_acd(url, queues, {"2001": {"sales": 1}}) as (twin, engine):
            assert engine.acd is not None
            acd = engine.acd
            twin.set_agent_phone("Local/2001@agents", answer=True, delay=0.5)
            other = await twin.pbx.originate(
                OriginateRequest(channel="Local/2001@agents", application="Wait", data="600")
            )
            assert other.channel is not None

            def paused() -> bool:
                return acd.router.agent("2001").pause_reason == "phone busy"

            await eventually(paused, timeout=20)
            assert any(e["event"] == "acd_agent_phone_busy" for e in logs)
            caller = await twin.place_inbound_call(VENDAS, "5511999990001", "Maria")
            assert caller is not None
            await eventually(lambda: caller.linkedid in acd.calls, timeout=20)
            assert acd.calls[caller.linkedid].state == "waiting"  # not offered to 2001
            assert paused()

            assert twin.hangup(other.channel.name)
            await eventually(lambda: caller.linkedid in twin.answered_calls, timeout=20)
            assert acd.calls[caller.linkedid].agent == "2001"

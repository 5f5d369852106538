"""``make demo``: its queues carry disposition codes (pt-BR labels), and the simulated agents'
hands dispose of the calls of agents nobody drives, never of an agent whose desk page is open.
The engine and product twin over TCP, real Redis."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from atende.demo import DEMO_QUEUES
from atende.demo_hands import DemoHands
from atende.dispositions import call_dispositions
from tests.desk.conftest import DEADLINE, MARIA, SALES_DID, Desk
from tests.integration.conftest import eventually


def test_demo_queues_require_codes_with_portuguese_labels() -> None:
    """Every demo queue has disposition codes; the labels are Portuguese (vendas: Venda
    realizada...), so an agent signed in on the desk must pick one to leave wrap-up."""
    for queue in DEMO_QUEUES:
        assert queue.dispositions, queue.name
        assert queue.wrap_up_seconds > 0
    labels = {q.name: [d.label for d in q.dispositions] for q in DEMO_QUEUES}
    assert labels["vendas"][0] == "Venda realizada"
    assert "Promessa de pagamento" in labels["cobranca"]


async def test_hands_dispose_only_for_agents_with_no_desk_open(desk: Desk) -> None:
    """Ana's call ends (vendas requires a code): her wrap-up is held. While her desk page is
    open (its WebSocket), the hands leave her alone even past her wrap-up time; once it is
    closed they give the call one of the queue's codes, stored as hers, and she is
    available again: a demo agent nobody drives keeps taking calls."""
    ana = await desk.sign_in("ana")
    socket = await desk.socket(ana)
    await ana.call("POST", "/api/agent/login")
    desk.twin.set_agent_phone("Local/2001@agents", answer=True, delay=10, talk_time=10)
    caller = await desk.twin.place_inbound_call(SALES_DID, MARIA, "Maria")
    assert caller is not None
    service = desk.engine.desk
    assert service is not None
    await eventually(lambda: service.status("2001").state == "wrap_up", DEADLINE)
    later = DemoHands(service, seed=1, clock=lambda: service.clock() + 3600)
    assert await later.step() == 0, "her page is open: she sets the code herself"
    assert service.status("2001").state == "wrap_up"
    now = DemoHands(service, seed=1)
    await socket.ws.close()
    await eventually(lambda: not service.connected("2001"), DEADLINE)
    assert await now.step() == 0, "her wrap-up time (30 s) is not over yet"

    assert await later.step() == 1
    me: Any = service.status("2001")
    assert (me.state, me.call) == ("available", None)
    async with desk.engine.db.connect() as conn:
        rows = (
            await conn.execute(
                sa.select(call_dispositions.c.agent, call_dispositions.c.code).where(
                    call_dispositions.c.call_id == caller.linkedid
                )
            )
        ).all()
    assert len(rows) == 1 and rows[0][0] == "ana"
    assert rows[0][1] in {"sale", "no_interest"}

"""The agent's state as his desktop shows it (``GET /api/agent/me``)."""

from __future__ import annotations

from acd.app.models import AgentCall, AgentStatus, CodeLabel
from acd.app.ports import LiveAcd
from acd.domain import AgentNotLoggedIn, AgentState

#: the pause reasons the desktop offers (any reason without ``|`` is accepted)
PAUSE_REASONS = (
    CodeLabel(code="lunch", label="Almoço"),
    CodeLabel(code="break", label="Intervalo"),
    CodeLabel(code="training", label="Treinamento"),
    CodeLabel(code="meeting", label="Reunião"),
    CodeLabel(code="back_office", label="Back-office"),
)
ON_CALL = "on call"  # restored busy after a restart (acd.live.base.ON_CALL)
AFTER_CALL = "wrap up"  # a restored call's wrap-up (acd.live.base.AFTER_CALL)
BUSY = frozenset({"reserved", "ringing", "on_call", "wrap_up"})


def agent_status(acd: LiveAcd, agent_id: str) -> AgentStatus:
    """``agent_id``'s state, pause, timers and call (shown while he is busy with it)."""
    try:
        view = acd.router.agent(agent_id)
    except AgentNotLoggedIn:
        view = None
    if view is None or view.state is AgentState.LOGGED_OUT:
        return AgentStatus(
            agent_id=agent_id,
            state="logged_out",
            pause_reason=None,
            pause_after_call=None,
            state_since=view.since if view is not None else None,
            wrap_up_ends_at=None,
            pause_reasons=list(PAUSE_REASONS),
            call=None,
        )
    state = view.state.value
    if view.state is AgentState.PAUSED and view.pause_reason == ON_CALL:
        state = "on_call"
    elif view.state is AgentState.PAUSED and view.pause_reason == AFTER_CALL:
        state = "wrap_up"
    facts = acd.agent_call(agent_id) if state in BUSY else None
    call = None
    if facts is not None:
        config = acd.router.configs.get(facts["queue"])
        codes = config.dispositions if config is not None else ()
        call = AgentCall(
            **{"direction": "inbound", **facts},
            dispositions=[CodeLabel(code=d.code, label=d.label) for d in codes],
        )
    return AgentStatus(
        agent_id=agent_id,
        state=state,
        pause_reason=view.pause_reason if state == "paused" else None,
        pause_after_call=view.pause_after,
        state_since=view.since,
        wrap_up_ends_at=view.wrap_until,
        pause_reasons=list(PAUSE_REASONS),
        call=call,
    )

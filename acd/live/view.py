"""The live view: agents (state, time in state), queues (statistics), waiting and active calls."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from acd.domain import AgentState, Router, StatsSnapshot
from acd.live.base import AFTER_CALL, ON_CALL, OUTBOUND
from acd.live.call import StoredCall
from acd.live.store import StoredAgent


def live_view(
    router: Router,
    stats: StatsSnapshot,
    agents: Mapping[str, StoredAgent],
    calls: Mapping[str, StoredCall],
    held: Mapping[str, str],
    now: float,
) -> dict[str, Any]:
    """``{"agents": [...], "queues": [...], "calls": [...]}`` for the API and the live page.

    ``held`` maps restored calls to the agent kept busy on them (shown ``on_call``, as an agent
    on his own click-to-call); an agent in
    the wrap-up of a restored call is shown ``wrap_up``.
    """
    live = router.stats(now)
    held_calls = {agent: call for call, agent in held.items()}
    rows = []
    for agent_id, stored in sorted(agents.items()):
        view = router.agent(agent_id)
        state = view.state.value
        if view.state is AgentState.PAUSED and view.pause_reason in (ON_CALL, OUTBOUND):
            state = "on_call"
        elif view.state is AgentState.PAUSED and view.pause_reason == AFTER_CALL:
            state = AgentState.WRAP_UP.value
        rows.append(
            {
                "agent": agent_id,
                "interface": stored.interface,
                "skills": view.skills,
                "state": state,
                "pause_reason": view.pause_reason,
                "in_state_seconds": round(max(0.0, now - view.since), 1),
                "call": view.call_id or held_calls.get(agent_id),
            }
        )
    queues = []
    for name, q in sorted(stats.queues.items()):
        queues.append(
            {
                "queue": name,
                "waiting": live.queues[name].waiting,
                "longest_wait": round(live.queues[name].longest_wait, 1),
                "offered": q.offered,
                "answered": q.answered,
                "abandoned": q.abandoned,
                "timed_out": q.timed_out,
                "no_answers": q.no_answers,
                "service_level": q.service_level,
                "asa": q.asa,
                "aht": q.aht,
            }
        )
    return {"agents": rows, "queues": queues, "calls": [_call(c, now) for c in _by_join(calls)]}


def _by_join(calls: Mapping[str, StoredCall]) -> list[StoredCall]:
    return sorted(calls.values(), key=lambda c: c.entered_at)


def _call(c: StoredCall, now: float) -> dict[str, Any]:
    answered = c.answered_at
    return {
        "call": c.call_id,
        "queue": c.queue,
        "caller": c.caller,
        "state": c.state.value,
        "agent": c.agent,
        "entered_at": c.entered_at,
        "waited_seconds": round(max(0.0, (answered or now) - c.entered_at), 1),
        "answered_at": answered,
        "talk_seconds": round(max(0.0, now - answered), 1) if answered is not None else None,
        "priority": c.priority,
        "direction": c.direction,
        "campaign_id": c.campaign_id,
        "lead_id": c.lead_id,
        "customer_id": c.customer_id,
    }


def floor_view(
    router: Router,
    stats: StatsSnapshot,
    agents: Mapping[str, StoredAgent],
    calls: Mapping[str, StoredCall],
    held: Mapping[str, str],
) -> dict[str, dict[str, dict[str, Any]]]:
    """The supervisor's floor keyed by id, with times as epochs (never durations): a row
    changes only when something happens, so a stream of changes carries only those.

    ``{"agents": {id: row}, "queues": {name: row}, "waiting": {call: row}}``.
    """
    held_calls = {agent: call for call, agent in held.items()}
    rows: dict[str, dict[str, Any]] = {}
    for agent_id, stored in agents.items():
        view = router.agent(agent_id)
        state = view.state.value
        if view.state is AgentState.PAUSED and view.pause_reason == ON_CALL:
            state = "on_call"
        elif view.state is AgentState.PAUSED and view.pause_reason == AFTER_CALL:
            state = AgentState.WRAP_UP.value
        figures = stats.agents.get(agent_id)
        rows[agent_id] = {
            "agent": agent_id,
            "interface": stored.interface,
            "skills": view.skills,
            "state": state,
            "pause_reason": view.pause_reason,
            "since": view.since,
            "call": view.call_id or held_calls.get(agent_id),
            "calls": figures.calls if figures is not None else 0,
        }
    queues: dict[str, dict[str, Any]] = {}
    for name, runtime in router.queues.items():
        q = stats.queues.get(name)
        config = runtime.config
        entered = [c.entered_at for c in runtime.offered.values()]
        oldest = runtime.line.oldest_entry()
        if oldest is not None:
            entered.append(oldest)
        queues[name] = {
            "queue": name,
            "waiting": runtime.line.count + len(runtime.offered),
            "oldest_entered_at": min(entered) if entered else None,
            "offered": q.offered if q else 0,
            "answered": q.answered if q else 0,
            "abandoned": q.abandoned if q else 0,
            "service_level": q.service_level if q else None,
            "asa": q.asa if q else None,
            "aht": q.aht if q else None,
            "service_level_target": config.service_level_target,
            "thresholds": config.thresholds.model_dump(),
        }
    waiting = {
        c.call_id: {
            "call": c.call_id,
            "queue": c.queue,
            "caller": c.caller,
            "state": c.state.value,
            "agent": c.agent,
            "entered_at": c.entered_at,
            "answered_at": c.answered_at,
            "priority": c.priority,
        }
        for c in calls.values()
    }
    return {"agents": rows, "queues": queues, "waiting": waiting}

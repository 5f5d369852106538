"""HTTP API of the ACD: agents and queues (configuration, sessions, pauses) and the live state.

Each handler reads its body into an ``acd.app.models`` model and calls one ``acd.app`` use case
(the CLI calls the same ones). One table, :data:`OPERATIONS`, gives the routes and their OpenAPI
description.
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from acd.app.agents import get_agent
from acd.app.change_skills import change_skills
from acd.app.create_agent import create_agent as create_agent_use_case
from acd.app.create_queue import create_queue as create_queue_use_case
from acd.app.list_agents import list_agents as list_agents_use_case
from acd.app.list_queues import list_queues as list_queues_use_case
from acd.app.login_agent import login_agent
from acd.app.logout_agent import logout_agent
from acd.app.models import (
    Agent,
    AgentId,
    AgentIn,
    AgentList,
    AgentPatch,
    AgentSession,
    CallMoved,
    MoveIn,
    PauseIn,
    QueueList,
    QueuePatch,
    QueueReplace,
    SkillsIn,
)
from acd.app.move_call import move_call, move_to_front
from acd.app.patch_queue import patch_queue as patch_queue_use_case
from acd.app.pause_agent import pause_agent
from acd.app.ports import LiveAcd
from acd.app.replace_queue import replace_queue as replace_queue_use_case
from acd.app.unpause_agent import unpause_agent
from acd.app.update_agent import update_agent as update_agent_use_case
from acd.domain import AcdError, QueueConfig, QueueName
from acd.live import AcdNotReady
from acd.live.sql import AcdConfigStore
from atende.auth import Role
from atende.web.audit_trail import audited, note
from atende.web.errors import ApiError, acd_error, invalid_request
from atende.web.openapi_ops import Operation
from atende.web.security import Handler, allow, principal

ACD: web.AppKey[LiveAcd | None] = web.AppKey("acd", object)  # type: ignore[arg-type]
ACD_CONFIG: web.AppKey[AcdConfigStore] = web.AppKey("acd_config", AcdConfigStore)

M = TypeVar("M", bound=BaseModel)


def acd_errors(handler: Handler) -> Handler:
    """Answer ``AcdError`` with its code (404/409/422) and a not-ready ACD with 503."""

    @functools.wraps(handler)
    async def call(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except AcdError as exc:
            raise acd_error(exc) from None
        except AcdNotReady as exc:
            raise ApiError(503, "acd_not_ready", str(exc)) from None

    return call


async def _json(request: web.Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise ApiError(400, "invalid_json", "request body is not JSON") from None


async def _body(request: web.Request, model: type[M]) -> M:
    data = await _json(request)
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_request(exc) from None


def _reply(value: BaseModel, status: int = 200) -> web.Response:
    return web.json_response(value.model_dump(mode="json"), status=status)


def _acd(request: web.Request) -> LiveAcd:
    acd = request.app.get(ACD)
    if acd is None:
        raise ApiError(503, "acd_not_running", "the ACD is not running")
    return acd


async def _own_agent(request: web.Request) -> Agent:
    """The agent of the path; an agent (role) may only act on himself."""
    agent = await get_agent(request.app[ACD_CONFIG], request.match_info["agent"])
    who = principal(request)
    if who.role not in (Role.ADMIN, Role.SUPERVISOR) and agent.username != who.username:
        raise ApiError(403, "forbidden", "an agent may only act on himself")
    return agent


# ----------------------------------------------------------------------- agents
@allow(Role.SUPERVISOR)
@acd_errors
async def list_agents(request: web.Request) -> web.Response:
    """GET /api/acd/agents: configured agents with their live state."""
    agents = await list_agents_use_case(request.app[ACD_CONFIG], request.app.get(ACD))
    return _reply(AgentList(agents=agents))


@allow(Role.SUPERVISOR)
@acd_errors
async def create_agent(request: web.Request) -> web.Response:
    """POST /api/acd/agents: create an agent. Two agents never share an interface or a user."""
    body = await _body(request, AgentIn)
    return _reply(await create_agent_use_case(request.app[ACD_CONFIG], body), 201)


@allow(Role.SUPERVISOR)
@acd_errors
async def update_agent(request: web.Request) -> web.Response:
    """PATCH /api/acd/agents/{agent}: change interface, skills, name or user (fields given).

    New skills apply from the agent's next login.
    """
    body = await _body(request, AgentPatch)
    agent = request.match_info["agent"]
    return _reply(await update_agent_use_case(request.app[ACD_CONFIG], agent, body))


@allow(Role.AGENT, Role.SUPERVISOR)
@audited("agent_login", "agent")
@acd_errors
async def agent_login(request: web.Request) -> web.Response:
    """POST /api/acd/agents/{agent}/login: log the agent in (available)."""
    agent = await _own_agent(request)
    return _reply(await login_agent(_acd(request), agent))


@allow(Role.AGENT, Role.SUPERVISOR)
@audited("agent_logout", "agent")
@acd_errors
async def agent_logout(request: web.Request) -> web.Response:
    """POST /api/acd/agents/{agent}/logout: log the agent out (from available or paused)."""
    agent = await _own_agent(request)
    return _reply(await logout_agent(_acd(request), agent))


@allow(Role.AGENT, Role.SUPERVISOR)
@audited("agent_pause", "agent")
@acd_errors
async def agent_pause(request: web.Request) -> web.Response:
    """POST /api/acd/agents/{agent}/pause: pause with a reason (or change the reason)."""
    agent = await _own_agent(request)
    body = await _body(request, PauseIn)
    note(request, reason=body.reason)
    return _reply(await pause_agent(_acd(request), agent, body))


@allow(Role.AGENT, Role.SUPERVISOR)
@audited("agent_unpause", "agent")
@acd_errors
async def agent_unpause(request: web.Request) -> web.Response:
    """POST /api/acd/agents/{agent}/unpause: back to available."""
    agent = await _own_agent(request)
    return _reply(await unpause_agent(_acd(request), agent))


@allow(Role.SUPERVISOR)
@audited("agent_skills", "agent")
@acd_errors
async def agent_skills(request: web.Request) -> web.Response:
    """POST /api/acd/agents/{agent}/skills: replace the agent's skills, at once when he is
    logged in (a call he holds goes on) and from his next login otherwise."""
    body = await _body(request, SkillsIn)
    note(request, skills=body.skills)
    agent = request.match_info["agent"]
    return _reply(await change_skills(request.app[ACD_CONFIG], request.app.get(ACD), agent, body))


# ----------------------------------------------------------------------- calls
@allow(Role.SUPERVISOR)
@audited("call_move", "call")
@acd_errors
async def call_move(request: web.Request) -> web.Response:
    """POST /api/acd/calls/{call}/move: move a waiting caller to another queue; his wait
    counts from his first join."""
    body = await _body(request, MoveIn)
    note(request, queue=body.queue)
    return _reply(await move_call(_acd(request), request.match_info["call"], body))


@allow(Role.SUPERVISOR)
@audited("call_front", "call")
@acd_errors
async def call_front(request: web.Request) -> web.Response:
    """POST /api/acd/calls/{call}/front: serve a waiting caller next in his queue."""
    return _reply(await move_to_front(_acd(request), request.match_info["call"]))


# ----------------------------------------------------------------------- queues
@allow(Role.SUPERVISOR)
@acd_errors
async def list_queues(request: web.Request) -> web.Response:
    """GET /api/acd/queues: configuration and statistics of the day."""
    queues = await list_queues_use_case(request.app[ACD_CONFIG], request.app.get(ACD))
    return _reply(QueueList(queues=queues))


@allow(Role.SUPERVISOR)
@acd_errors
async def create_queue(request: web.Request) -> web.Response:
    """POST /api/acd/queues: create a queue; it takes callers at once."""
    body = await _body(request, QueueConfig)
    store = request.app[ACD_CONFIG]
    return _reply(await create_queue_use_case(store, request.app.get(ACD), body), 201)


@allow(Role.SUPERVISOR)
@acd_errors
async def replace_queue(request: web.Request) -> web.Response:
    """PUT /api/acd/queues/{queue}: replace the queue's whole configuration.

    A full replace: every field left out takes its default, so a body without ``escalation``
    removes the queue's escalation (use PATCH to change some fields only). Waiting and ringing
    callers, agents' states and their time in state are kept.
    """
    body = await _body(request, QueueReplace)
    try:
        config = body.config(request.match_info["queue"])
    except ValidationError as exc:
        raise invalid_request(exc) from None
    except ValueError as exc:
        raise ApiError(
            422, "invalid_request", str(exc), fields=[{"field": "name", "problem": str(exc)}]
        ) from None
    await replace_queue_use_case(request.app[ACD_CONFIG], request.app.get(ACD), config)
    return _reply(config)


@allow(Role.SUPERVISOR)
@acd_errors
async def patch_queue(request: web.Request) -> web.Response:
    """PATCH /api/acd/queues/{queue}: change only the fields given; the others are kept.

    Waiting and ringing callers, agents' states and their time in state are kept.
    """
    body = await _body(request, QueuePatch)
    name = request.match_info["queue"]
    try:
        config = await patch_queue_use_case(
            request.app[ACD_CONFIG], request.app.get(ACD), name, body
        )
    except ValidationError as exc:
        raise invalid_request(exc) from None
    return _reply(config)


# ----------------------------------------------------------------------- live
@allow(Role.SUPERVISOR)
async def live(request: web.Request) -> web.Response:
    """GET /api/acd/live: agents, queues with statistics, waiting and active calls."""
    return web.json_response(_acd(request).live_view())


AGENT = {"agent": AgentId}
QUEUE = {"queue": QueueName}
CALL = {"call": str}
TAGS = ("acd",)
OPERATIONS: tuple[Operation, ...] = (
    Operation("GET", "/api/acd/agents", list_agents, response=AgentList, tags=TAGS),
    Operation(
        "POST", "/api/acd/agents", create_agent, 201, AgentIn, Agent, refusals=(409,), tags=TAGS
    ),
    Operation(
        "PATCH",
        "/api/acd/agents/{agent}",
        update_agent,
        body=AgentPatch,
        response=Agent,
        params=AGENT,
        refusals=(409,),
        tags=TAGS,
    ),
    *(
        Operation(
            "POST",
            f"/api/acd/agents/{{agent}}/{action}",
            handler,
            body=PauseIn if action == "pause" else None,
            response=AgentSession,
            params=AGENT,
            refusals=(409, 503),
            tags=TAGS,
        )
        for action, handler in (
            ("login", agent_login),
            ("logout", agent_logout),
            ("pause", agent_pause),
            ("unpause", agent_unpause),
        )
    ),
    Operation(
        "POST",
        "/api/acd/agents/{agent}/skills",
        agent_skills,
        body=SkillsIn,
        response=Agent,
        params=AGENT,
        refusals=(503,),
        tags=TAGS,
    ),
    Operation(
        "POST",
        "/api/acd/calls/{call}/move",
        call_move,
        body=MoveIn,
        response=CallMoved,
        params=CALL,
        refusals=(409, 503),
        tags=TAGS,
    ),
    Operation(
        "POST",
        "/api/acd/calls/{call}/front",
        call_front,
        response=CallMoved,
        params=CALL,
        refusals=(409, 503),
        tags=TAGS,
    ),
    Operation("GET", "/api/acd/queues", list_queues, response=QueueList, tags=TAGS),
    Operation(
        "POST",
        "/api/acd/queues",
        create_queue,
        201,
        QueueConfig,
        QueueConfig,
        refusals=(409, 503),
        tags=TAGS,
    ),
    Operation(
        "PUT",
        "/api/acd/queues/{queue}",
        replace_queue,
        body=QueueReplace,
        response=QueueConfig,
        params=QUEUE,
        refusals=(503,),
        tags=TAGS,
    ),
    Operation(
        "PATCH",
        "/api/acd/queues/{queue}",
        patch_queue,
        body=QueuePatch,
        response=QueueConfig,
        params=QUEUE,
        refusals=(503,),
        tags=TAGS,
    ),
    Operation("GET", "/api/acd/live", live, refusals=(503,), tags=TAGS),
)


def add_routes(app: web.Application, acd: LiveAcd | None, config: AcdConfigStore) -> None:
    """Register the ACD endpoints on ``app``."""
    app[ACD] = acd
    app[ACD_CONFIG] = config
    for op in OPERATIONS:
        op.route(app)

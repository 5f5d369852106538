"""HTTP API of the ACD: agents and queues (configuration, sessions, pauses) and the live state."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from acd.domain import AcdError, QueueConfig
from acd.live import AcdNotReady, InboundAcd
from acd.live.sql import AcdConfigStore, agent_config
from atende.auth import Role
from atende.web.errors import ApiError, acd_error, invalid_request
from atende.web.security import allow, principal

ACD: web.AppKey[InboundAcd | None] = web.AppKey("acd", object)  # type: ignore[arg-type]
ACD_CONFIG: web.AppKey[AcdConfigStore] = web.AppKey("acd_config", AcdConfigStore)

M = TypeVar("M", bound=BaseModel)
Level = Annotated[int, Field(ge=1, le=5)]
AgentId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")]


class AgentIn(BaseModel):
    """A new agent."""

    model_config = ConfigDict(extra="forbid")
    agent: AgentId
    interface: str = Field(min_length=3, max_length=255, pattern=r"^[^\s,|]+/[^\s,|]+$")
    skills: dict[Annotated[str, Field(min_length=1, max_length=64)], Level] = Field(
        default_factory=dict
    )
    name: str = Field("", max_length=128)
    username: str | None = Field(None, min_length=1, max_length=64)


class AgentPatch(BaseModel):
    """Fields of an agent to change."""

    model_config = ConfigDict(extra="forbid")
    interface: str | None = Field(
        None, min_length=3, max_length=255, pattern=r"^[^\s,|]+/[^\s,|]+$"
    )
    skills: dict[Annotated[str, Field(min_length=1, max_length=64)], Level] | None = None
    name: str | None = Field(None, max_length=128)
    username: str | None = Field(None, min_length=1, max_length=64)


class PauseIn(BaseModel):
    """Why the agent pauses."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=64, pattern=r"^[^|]+$")


async def _body(request: web.Request, model: type[M]) -> M:
    try:
        data = await request.json()
    except ValueError:
        raise ApiError(400, "invalid_json", "request body is not JSON") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_request(exc) from None


def _acd(request: web.Request) -> InboundAcd:
    acd = request.app.get(ACD)
    if acd is None:
        raise ApiError(503, "acd_not_running", "the ACD is not running")
    return acd


async def _agent_row(request: web.Request) -> dict[str, Any]:
    agent_id = request.match_info["agent"]
    row = await request.app[ACD_CONFIG].agent(agent_id)
    if row is None:
        raise ApiError(404, "agent_not_found", f"no agent {agent_id!r}")
    return row


def _may_act_on(request: web.Request, row: dict[str, Any]) -> None:
    who = principal(request)
    if who.role in (Role.ADMIN, Role.SUPERVISOR):
        return
    if row.get("username") != who.username:
        raise ApiError(403, "forbidden", "an agent may only act on himself")


# ----------------------------------------------------------------------- agents
@allow(Role.SUPERVISOR)
async def list_agents(request: web.Request) -> web.Response:
    """GET /api/acd/agents: configured agents with their live state."""
    rows = await request.app[ACD_CONFIG].agents()
    acd = request.app.get(ACD)
    live = {a["agent"]: a for a in acd.live_view()["agents"]} if acd else {}
    for row in rows:
        state = live.get(row["agent"])
        row["state"] = state["state"] if state else "logged_out"
        row["in_state_seconds"] = state["in_state_seconds"] if state else None
        row["pause_reason"] = state["pause_reason"] if state else None
    return web.json_response({"agents": rows})


@allow(Role.SUPERVISOR)
async def create_agent(request: web.Request) -> web.Response:
    """POST /api/acd/agents: create an agent."""
    body = await _body(request, AgentIn)
    store = request.app[ACD_CONFIG]
    if await store.agent(body.agent) is not None:
        raise ApiError(409, "agent_exists", f"agent {body.agent!r} already exists")
    await store.save_agent(
        body.agent,
        interface=body.interface,
        skills=dict(body.skills),
        name=body.name,
        username=body.username,
    )
    return web.json_response(await store.agent(body.agent), status=201)


@allow(Role.SUPERVISOR)
async def update_agent(request: web.Request) -> web.Response:
    """PATCH /api/acd/agents/{agent}: change interface, skills, name or username."""
    row = await _agent_row(request)
    body = await _body(request, AgentPatch)
    store = request.app[ACD_CONFIG]
    await store.save_agent(
        row["agent"],
        interface=body.interface,
        skills=None if body.skills is None else dict(body.skills),
        name=body.name,
        username=body.username,
    )
    return web.json_response(await store.agent(row["agent"]))


async def _session(request: web.Request, what: str) -> web.Response:
    row = await _agent_row(request)
    _may_act_on(request, row)
    acd = _acd(request)
    try:
        if what == "login":
            await acd.login(agent_config(row))
        elif what == "logout":
            await acd.logout(row["agent"])
        elif what == "pause":
            await acd.pause(row["agent"], (await _body(request, PauseIn)).reason)
        else:
            await acd.unpause(row["agent"])
    except AcdError as exc:
        raise acd_error(exc) from None
    except AcdNotReady as exc:
        raise ApiError(503, "acd_not_ready", str(exc)) from None
    view = acd.router.agent(row["agent"])
    return web.json_response(
        {"agent": row["agent"], "state": view.state.value, "pause_reason": view.pause_reason}
    )


@allow(Role.AGENT, Role.SUPERVISOR)
async def agent_login(request: web.Request) -> web.Response:
    """POST /api/acd/agents/{agent}/login."""
    return await _session(request, "login")


@allow(Role.AGENT, Role.SUPERVISOR)
async def agent_logout(request: web.Request) -> web.Response:
    """POST /api/acd/agents/{agent}/logout."""
    return await _session(request, "logout")


@allow(Role.AGENT, Role.SUPERVISOR)
async def agent_pause(request: web.Request) -> web.Response:
    """POST /api/acd/agents/{agent}/pause {reason}."""
    return await _session(request, "pause")


@allow(Role.AGENT, Role.SUPERVISOR)
async def agent_unpause(request: web.Request) -> web.Response:
    """POST /api/acd/agents/{agent}/unpause."""
    return await _session(request, "unpause")


# ----------------------------------------------------------------------- queues
@allow(Role.SUPERVISOR)
async def list_queues(request: web.Request) -> web.Response:
    """GET /api/acd/queues: configuration and live statistics."""
    configs = await request.app[ACD_CONFIG].queues()
    acd = request.app.get(ACD)
    live = {q["queue"]: q for q in acd.live_view()["queues"]} if acd else {}
    return web.json_response(
        {
            "queues": [
                {"config": c.model_dump(mode="json"), "stats": live.get(c.name)} for c in configs
            ]
        }
    )


async def _save_queue(request: web.Request, data: Any, new: bool) -> web.Response:
    store = request.app[ACD_CONFIG]
    try:
        config = QueueConfig.model_validate(data)
    except ValidationError as exc:
        raise invalid_request(exc, "the queue configuration is not valid") from None
    exists = await store.queue(config.name) is not None
    if new and exists:
        raise ApiError(409, "queue_exists", f"queue {config.name!r} already exists")
    if not new and not exists:
        raise ApiError(404, "queue_not_found", f"no queue {config.name!r}")
    others = [q for q in await store.queues() if q.name != config.name]
    acd = request.app.get(ACD)
    if acd is not None:
        try:
            await acd.reconfigure([*others, config])
        except AcdNotReady as exc:
            raise ApiError(503, "acd_not_ready", str(exc)) from None
        except AcdError as exc:
            raise acd_error(exc) from None
    await store.save_queue(config)
    return web.json_response(config.model_dump(mode="json"), status=201 if new else 200)


@allow(Role.SUPERVISOR)
async def create_queue(request: web.Request) -> web.Response:
    """POST /api/acd/queues: create a queue (``QueueConfig`` fields)."""
    try:
        data = await request.json()
    except ValueError:
        raise ApiError(400, "invalid_json", "request body is not JSON") from None
    return await _save_queue(request, data, new=True)


@allow(Role.SUPERVISOR)
async def configure_queue(request: web.Request) -> web.Response:
    """PUT /api/acd/queues/{queue}: replace a queue's configuration."""
    try:
        data = await request.json()
    except ValueError:
        raise ApiError(400, "invalid_json", "request body is not JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "request body must be a JSON object")
    data = {**data, "name": request.match_info["queue"]}
    return await _save_queue(request, data, new=False)


# ----------------------------------------------------------------------- live
@allow(Role.SUPERVISOR)
async def live(request: web.Request) -> web.Response:
    """GET /api/acd/live: agents, queues with statistics, waiting and active calls."""
    return web.json_response(_acd(request).live_view())


def _op(summary: str, body: type[BaseModel] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "security": [{"bearer": []}],
        "responses": {
            "200": {"description": "ok"},
            "401": {"description": "unauthenticated"},
            "403": {"description": "forbidden"},
            "422": {"description": "validation_error"},
        },
    }
    if body is not None:
        op["requestBody"] = {
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{body.__name__}"}}
            }
        }
    return op


OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Atende ACD API", "version": "1"},
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            m.__name__: m.model_json_schema(ref_template="#/components/schemas/{model}")
            for m in (AgentIn, AgentPatch, PauseIn, QueueConfig)
        },
    },
    "paths": {
        "/api/acd/agents": {
            "get": _op("agents with their live state"),
            "post": _op("create an agent", AgentIn),
        },
        "/api/acd/agents/{agent}": {"patch": _op("change an agent", AgentPatch)},
        "/api/acd/agents/{agent}/login": {"post": _op("log the agent in")},
        "/api/acd/agents/{agent}/logout": {"post": _op("log the agent out")},
        "/api/acd/agents/{agent}/pause": {"post": _op("pause with a reason", PauseIn)},
        "/api/acd/agents/{agent}/unpause": {"post": _op("unpause")},
        "/api/acd/queues": {
            "get": _op("queues with statistics"),
            "post": _op("create a queue", QueueConfig),
        },
        "/api/acd/queues/{queue}": {"put": _op("configure a queue", QueueConfig)},
        "/api/acd/live": {"get": _op("agents, queues, waiting and active calls")},
        "/api/calls": {"get": _op("live calls on every Asterisk server")},
    },
}


def add_routes(app: web.Application, acd: InboundAcd | None, config: AcdConfigStore) -> None:
    """Register the ACD endpoints on ``app``."""
    app[ACD] = acd
    app[ACD_CONFIG] = config
    r = app.router
    r.add_get("/api/acd/agents", list_agents)
    r.add_post("/api/acd/agents", create_agent)
    r.add_patch("/api/acd/agents/{agent}", update_agent)
    r.add_post("/api/acd/agents/{agent}/login", agent_login)
    r.add_post("/api/acd/agents/{agent}/logout", agent_logout)
    r.add_post("/api/acd/agents/{agent}/pause", agent_pause)
    r.add_post("/api/acd/agents/{agent}/unpause", agent_unpause)
    r.add_get("/api/acd/queues", list_queues)
    r.add_post("/api/acd/queues", create_queue)
    r.add_put("/api/acd/queues/{queue}", configure_queue)
    r.add_get("/api/acd/live", live)

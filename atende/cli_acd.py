"""``atende agent ...`` / ``atende queue ...``: configure agents and queues in the database.

The options become the same models the HTTP API reads (``acd.app.models``) and go through the
same use cases, so both accept the same values and refuse the same things with the same codes.
A running engine reads queues at start; change a live engine's queues through the HTTP API.
Exit status: 0 done, 1 refused (``agent_exists``, ``queue_exists``, ``interface_in_use``, ...),
2 bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from pydantic import ValidationError

from acd.app.create_agent import create_agent
from acd.app.create_queue import create_queue
from acd.app.list_agents import list_agents
from acd.app.list_queues import list_queues
from acd.app.models import AgentIn, AgentPatch, QueuePatch, QueueReplace, skill_pairs
from acd.app.patch_queue import patch_queue
from acd.app.replace_queue import replace_queue
from acd.app.update_agent import update_agent
from acd.domain import AcdError, QueueConfig, QueueExists
from acd.live.sql import AcdConfigStore
from atende.db import make_engine, upgrade
from atende.settings import Settings

# queue options: (flag, field, type, help)
QUEUE_OPTIONS: tuple[tuple[str, str, Any, str], ...] = (
    ("--strategy", "strategy", str, "longest_idle, fewest_calls, least_talk_time, best_skill, "
     "round_robin"),
    ("--weight", "weight", int, "heavier queues are served first"),
    ("--wrap-up", "wrap_up_seconds", float, "seconds of wrap-up after each call"),
    ("--ring-timeout", "ring_timeout", float, "seconds an agent rings"),
    ("--max-wait", "max_wait", float, "seconds before a caller leaves"),
    ("--max-length", "max_length", int, "callers waiting at most"),
    ("--when-no-agents", "when_no_agents", str, "join, refuse or leave"),
    ("--service-level-target", "service_level_target", float, "e.g. 0.8"),
    ("--service-level-seconds", "service_level_seconds", float, "e.g. 20"),
    ("--short-abandon", "short_abandon_seconds", float, "abandons shorter are not counted"),
    ("--default-handle-time", "default_handle_time", float, "seconds, for the expected wait"),
    ("--escalation", "escalation", str, "JSON list of steps, e.g. "
     "'[{\"after\": 30, \"relax\": {\"sales\": 1}}]'"),
    ("--thresholds", "thresholds", str, "JSON alert thresholds of the live floor, e.g. "
     "'{\"waiting\": 5, \"longest_wait\": 120, \"service_level\": 0.8}'"),
)  # fmt: skip
FLAG_OF = {field: flag for flag, field, _, _ in QUEUE_OPTIONS} | {"skills": "--skill"}


def add_parsers(sub: Any) -> None:
    """Add the ``agent`` and ``queue`` sub-commands to the ``atende`` parser."""
    agent = sub.add_parser("agent", help="ACD agents: add, set, skills, list")
    agent_sub = agent.add_subparsers(dest="agent_command", required=True)
    add = agent_sub.add_parser("add", help="create an agent")
    add.add_argument("agent")
    add.add_argument(
        "--interface", required=True, help="dial string: PJSIP/2001, Local/2001@agents"
    )
    add.add_argument("--skill", action="append", default=[], help="name=level (1-5), repeatable")
    add.add_argument("--name", default="")
    add.add_argument("--username", default=None, help="the user who may act as this agent")
    change = agent_sub.add_parser("set", help="change an agent (only the options given)")
    change.add_argument("agent")
    change.add_argument("--interface", default=None)
    change.add_argument("--skill", action="append", default=None, help="name=level, replaces all")
    change.add_argument("--name", default=None)
    change.add_argument("--username", default=None)
    skills = agent_sub.add_parser("skills", help="replace an agent's skills")
    skills.add_argument("agent")
    skills.add_argument("--skill", action="append", default=[], help="name=level (1-5)")
    agent_sub.add_parser("list", help="list agents (JSON lines)")

    queue = sub.add_parser("queue", help="ACD queues: add, set, list")
    queue_sub = queue.add_subparsers(dest="queue_command", required=True)
    qadd = queue_sub.add_parser(
        "add", help="create a queue (--replace: replace an existing one entirely)"
    )
    qset = queue_sub.add_parser("set", help="change some settings of a queue, keep the others")
    for parser in (qadd, qset):
        parser.add_argument("queue")
        parser.add_argument(
            "--skill", action="append", default=None, help="name=minimum level, repeatable"
        )
        for flag, field, kind, text in QUEUE_OPTIONS:
            parser.add_argument(flag, dest=field, type=kind, default=None, help=text)
        parser.add_argument(
            "--disposition",
            action="append",
            default=None,
            help="code=label a call of the queue may be closed with, repeatable (replaces all)",
        )
    qadd.add_argument(
        "--replace",
        action="store_true",
        help="replace the queue if it exists: options left out take their defaults",
    )
    queue_sub.add_parser("list", help="list queues (JSON lines)")


class BadInput(Exception):
    """An option's value is malformed (exit status 2)."""


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Run one ``agent``/``queue`` command; 0 done, 1 refused, 2 bad input."""
    try:
        return asyncio.run(_run(settings, args))
    except BadInput as exc:
        print(f"atende: {exc}", file=sys.stderr)
        return 2
    except AcdError as exc:
        hint = " (add --replace to replace it)" if isinstance(exc, QueueExists) else ""
        print(f"atende: {exc.code}: {exc}{hint}", file=sys.stderr)
        return 2 if exc.kind == "invalid" else 1


def _problems(exc: ValidationError, flags: dict[str, str]) -> BadInput:
    lines = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        flag = flags.get(loc[0], loc[0]) if loc else "input"
        where = " ".join([flag, *loc[1:]]) if loc else flag
        lines.append(f"{where}: {err['msg']}")
    return BadInput("; ".join(lines))


def _model(kind: Any, data: dict[str, Any], flags: dict[str, str]) -> Any:
    try:
        return kind.model_validate(data)
    except ValidationError as exc:
        raise _problems(exc, flags) from None


def _skills(pairs: list[str]) -> dict[str, str]:
    try:
        return skill_pairs(pairs)
    except ValueError as exc:
        raise BadInput(str(exc)) from None


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    await asyncio.to_thread(upgrade, settings.database_url)
    db = make_engine(settings.database_url)
    try:
        store = AcdConfigStore(db)
        if args.command == "agent":
            return await _agent(store, args)
        return await _queue(store, args)
    finally:
        await db.dispose()


AGENT_FLAGS = {"skills": "--skill", "interface": "--interface", "username": "--username"}


async def _agent(store: AcdConfigStore, args: argparse.Namespace) -> int:
    if args.agent_command == "list":
        for listed in await list_agents(store, None):
            print(json.dumps(listed.model_dump(mode="json", exclude={"in_state_seconds"})))
        return 0
    if args.agent_command == "add":
        data = {
            "agent": args.agent,
            "interface": args.interface,
            "skills": _skills(args.skill),
            "name": args.name,
            "username": args.username,
        }
        created = await create_agent(store, _model(AgentIn, data, AGENT_FLAGS))
        print(f"agent {created.agent} created")
        return 0
    if args.agent_command == "skills":
        patch: dict[str, Any] = {"skills": _skills(args.skill)}
    else:
        patch = {
            key: value
            for key, value in (
                ("interface", args.interface),
                ("skills", None if args.skill is None else _skills(args.skill)),
                ("name", args.name),
                ("username", args.username),
            )
            if value is not None
        }
    changed = await update_agent(store, args.agent, _model(AgentPatch, patch, AGENT_FLAGS))
    print(f"agent {changed.agent} changed: {json.dumps(changed.model_dump(mode='json'))}")
    return 0


def _queue_fields(args: argparse.Namespace) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if args.skill is not None:
        data["skills"] = _skills(args.skill)
    if args.disposition is not None:
        pairs = [d.partition("=") for d in args.disposition]
        if any(not sep for _, sep, _ in pairs):
            raise BadInput("--disposition: expected code=label")
        data["dispositions"] = [
            {"code": c.strip(), "label": label.strip()} for c, _, label in pairs
        ]
    for _, field, _, _ in QUEUE_OPTIONS:
        value = getattr(args, field)
        if value is None:
            continue
        if field in ("escalation", "thresholds"):
            try:
                value = json.loads(value)
            except ValueError:
                raise BadInput(f"{FLAG_OF[field]}: not JSON") from None
        data[field] = value
    return data


async def _queue(store: AcdConfigStore, args: argparse.Namespace) -> int:
    if args.queue_command == "list":
        for queue in await list_queues(store, None):
            print(json.dumps(queue.config.model_dump(mode="json")))
        return 0
    data = _queue_fields(args)
    if args.queue_command == "set":
        patch = _model(QueuePatch, data, FLAG_OF)
        try:
            config = await patch_queue(store, None, args.queue, patch)
        except ValidationError as exc:
            raise _problems(exc, FLAG_OF) from None
        print(f"queue {config.name} changed")
        return 0
    if args.replace:
        settings = _model(QueueReplace, data, FLAG_OF)
        try:
            config = settings.config(args.queue)
        except ValidationError as exc:
            raise _problems(exc, FLAG_OF) from None
        created = await replace_queue(store, None, config, create=True)
        print(f"queue {config.name} {'created' if created else 'replaced'}")
        return 0
    config = _model(QueueConfig, {**data, "name": args.queue}, FLAG_OF | {"name": "queue"})
    await create_queue(store, None, config)
    print(f"queue {config.name} created")
    return 0

"""``atende agent ...`` / ``atende queue ...``: configure agents and queues in the database.

A running engine reads queues at start; change a live engine's queues through the HTTP API.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from pydantic import ValidationError

from acd.domain import QueueConfig, SkillError, SkillProfile
from acd.live.sql import AcdConfigStore
from atende.db import make_engine, upgrade
from atende.settings import Settings


def add_parsers(sub: Any) -> None:
    """Add the ``agent`` and ``queue`` sub-commands to the ``atende`` parser."""
    agent = sub.add_parser("agent", help="ACD agents: add, skills, list")
    agent_sub = agent.add_subparsers(dest="agent_command", required=True)
    add = agent_sub.add_parser("add", help="create an agent")
    add.add_argument("agent")
    add.add_argument(
        "--interface", required=True, help="dial string: PJSIP/2001, Local/2001@agents"
    )
    add.add_argument("--skill", action="append", default=[], help="name=level (1-5), repeatable")
    add.add_argument("--name", default="")
    add.add_argument("--username", default=None, help="the user who may act as this agent")
    skills = agent_sub.add_parser("skills", help="replace an agent's skills")
    skills.add_argument("agent")
    skills.add_argument("--skill", action="append", default=[], help="name=level (1-5)")
    agent_sub.add_parser("list", help="list agents (JSON lines)")

    queue = sub.add_parser("queue", help="ACD queues: add, list")
    queue_sub = queue.add_subparsers(dest="queue_command", required=True)
    qadd = queue_sub.add_parser("add", help="create or replace a queue")
    qadd.add_argument("queue")
    qadd.add_argument("--skill", action="append", default=[], help="name=minimum level")
    qadd.add_argument("--strategy", default="longest_idle")
    qadd.add_argument("--wrap-up", type=float, default=0.0, help="seconds of wrap-up")
    qadd.add_argument("--ring-timeout", type=float, default=15.0)
    qadd.add_argument("--max-wait", type=float, default=None)
    qadd.add_argument("--weight", type=int, default=0)
    queue_sub.add_parser("list", help="list queues (JSON lines)")


def _skills(pairs: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for pair in pairs:
        name, sep, level = pair.partition("=")
        if not sep or not level.strip().isdigit():
            raise ValueError(f"--skill {pair!r}: expected name=level")
        out[name.strip()] = int(level)
    SkillProfile(out)  # checks names and levels
    return out


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Run one ``agent``/``queue`` command; 0 on success, 2 on bad input."""
    try:
        return asyncio.run(_run(settings, args))
    except (ValueError, SkillError, ValidationError) as exc:
        print(f"atende: {exc}", file=sys.stderr)
        return 2


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


async def _agent(store: AcdConfigStore, args: argparse.Namespace) -> int:
    if args.agent_command == "list":
        for row in await store.agents():
            print(json.dumps(row))
        return 0
    skills = _skills(args.skill)
    if args.agent_command == "add":
        if await store.agent(args.agent) is not None:
            raise ValueError(f"agent {args.agent!r} already exists")
        await store.save_agent(
            args.agent,
            interface=args.interface,
            skills=skills,
            name=args.name,
            username=args.username,
        )
        print(f"agent {args.agent} created")
        return 0
    if await store.agent(args.agent) is None:
        raise ValueError(f"no agent {args.agent!r}")
    await store.save_agent(args.agent, skills=skills)
    print(f"agent {args.agent} skills {skills}")
    return 0


async def _queue(store: AcdConfigStore, args: argparse.Namespace) -> int:
    if args.queue_command == "list":
        for config in await store.queues():
            print(json.dumps(config.model_dump(mode="json")))
        return 0
    config = QueueConfig(
        name=args.queue,
        skills=_skills(args.skill),
        strategy=args.strategy,
        wrap_up_seconds=args.wrap_up,
        ring_timeout=args.ring_timeout,
        max_wait=args.max_wait,
        weight=args.weight,
    )
    new = await store.save_queue(config)
    print(f"queue {config.name} {'created' if new else 'replaced'}")
    return 0

"""The ``atende`` command: serve, twin, demo, db upgrade, user and token management."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Sequence
from datetime import timedelta

from atende.cli_campaigns import add_campaign_parser, run_campaign
from atende.cli_erp import add_erp_parser, run_erp
from atende.cli_users import (
    add_token_parsers,
    add_user_admin_parsers,
    run_token_revoke,
    run_user_admin,
)
from atende.settings import Settings, SettingsError, load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="atende", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("serve", help="run the engine (AMI link, FastAGI server, HTTP API)")

    twin = sub.add_parser("twin", help="run the Asterisk twin (AMI server + FastAGI client)")
    twin.add_argument("--ami-port", type=int, default=None, help="AMI port (default from settings)")
    twin.add_argument("--seed", type=int, default=None, help="traffic generator seed")
    twin.add_argument(
        "--traffic", action="store_true", help="generate inbound calls (demo traffic)"
    )
    twin.add_argument(
        "--callers", default=None, help="file of caller numbers for the traffic, one a line"
    )

    sub.add_parser("demo", help="migrate, seed and run engine + twin + web on embedded defaults")

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply all migrations")

    user = sub.add_parser("user", help="users of the web desktop and API")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    add = user_sub.add_parser(
        "add", help="create a user (password read from ATENDE_PASSWORD or asked)"
    )
    add.add_argument("username")
    add.add_argument(
        "--role", required=True, choices=["agent", "supervisor", "campaign_manager", "admin"]
    )
    add_user_admin_parsers(user_sub)

    token = sub.add_parser("token", help="issue a bearer token for scripts")
    token.add_argument("username")
    token.add_argument(
        "--days",
        type=int,
        help="validity in days (0: no expiry; default from ATENDE_CLI_TOKEN_DAYS)",
    )
    token.add_argument("--label", default="cli")
    add_erp_parser(sub)
    add_campaign_parser(sub)
    add_token_parsers(sub)

    from atende.cli_acd import add_parsers

    add_parsers(sub)
    return parser


async def _db_upgrade(settings: Settings) -> None:
    from atende.db import upgrade

    await asyncio.to_thread(upgrade, settings.database_url)


async def _user_add(settings: Settings, username: str, role: str) -> None:
    from atende.auth import Role, UserStore
    from atende.db import make_engine
    from atende.passwords import PasswordPool

    password = os.environ.get("ATENDE_PASSWORD") or getpass.getpass(f"password for {username}: ")
    engine = make_engine(settings.database_url)
    try:
        await UserStore(engine, PasswordPool(cost=settings.password_hash_cost)).create_user(
            username, password, Role(role)
        )
    finally:
        await engine.dispose()
    print(f"user {username} created with role {role}")


async def _token(settings: Settings, username: str, days: int | None, label: str) -> None:
    from atende.auth import UserStore
    from atende.db import make_engine
    from atende.passwords import PasswordPool

    engine = make_engine(settings.database_url)
    try:
        store = UserStore(engine, PasswordPool(cost=settings.password_hash_cost))
        uid = await store.user_id(username)
        days = settings.cli_token_days if days is None else days
        ttl = None if days == 0 else timedelta(days=days)
        print(await store.issue_token(uid, label, ttl))
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``atende`` console script."""
    args = _parser().parse_args(argv)
    # Settings only for the engine; the twin takes defaults when the engine's env is partial.
    env_for = {}
    if args.command == "twin" and args.ami_port is not None:
        env_for["twin_ami_port"] = args.ami_port
    try:
        settings = load_settings(**env_for)
    except SettingsError as exc:
        print(f"atende: {exc}", file=sys.stderr)
        return 2

    from atende.logs import configure_logging

    configure_logging(settings.log_format, settings.log_level, cache=args.command == "serve")
    from atende.auth import AuthError

    try:
        if args.command == "erp":
            return run_erp(settings, args)
        if args.command == "campaign":
            return run_campaign(settings, args)
        if args.command == "token-revoke":
            return run_token_revoke(settings, args)
        if args.command == "db":
            asyncio.run(_db_upgrade(settings))
        elif args.command == "user" and args.user_command != "add":
            return run_user_admin(settings, args)
        elif args.command == "user":
            asyncio.run(_user_add(settings, args.username, args.role))
        elif args.command == "token":
            asyncio.run(_token(settings, args.username, args.days, args.label))
        elif args.command == "serve":
            from atende.wiring import run_engine

            return asyncio.run(run_engine(settings))
        elif args.command == "twin":
            from atende.cli_twin import read_callers, run_twin

            callers = read_callers(args.callers) if args.callers else []
            return asyncio.run(
                run_twin(settings, seed=args.seed, traffic=args.traffic, callers=callers)
            )
        elif args.command in ("agent", "queue"):
            from atende.cli_acd import run

            return run(settings, args)
        elif args.command == "demo":
            from atende.demo import run_demo

            return asyncio.run(run_demo(settings))
    except AuthError as exc:
        print(f"atende: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""``atende campaign create|list|start|pause|stop``: campaigns from the command line, through
the same use cases as the API (start, pause and stop are audited with the system user)."""

from __future__ import annotations

import argparse
import getpass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from atende.settings import Settings
from campaigns.domain.campaign import WEEKDAYS, Action

ACTIONS = ("start", "pause", "stop")


def add_campaign_commands(cmds: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The campaign subcommands of ``atende campaign``."""
    create = cmds.add_parser("create", help="create a draft campaign")
    create.add_argument("name")
    create.add_argument(
        "--kind", required=True, choices=["telemarketing", "televendas", "telecobranca"]
    )
    create.add_argument("--queue", required=True, help="queue of the campaign's agents")
    create.add_argument("--caller-id", required=True, help="presented number (0303 in BR sales)")
    create.add_argument("--profile", choices=["BR", "US", "UK"], default=None)
    create.add_argument("--mode", choices=["preview", "progressive", "predictive"], default=None)
    create.add_argument("--ratio", type=float, default=None, help="progressive lines per agent")
    create.add_argument("--max-abandon-rate", type=float, default=None, help="e.g. 0.02")
    create.add_argument("--state", default=None, help="state whose holidays close the campaign")
    create.add_argument("--list", action="append", default=[], dest="lists", help="list name")
    create.add_argument(
        "--hours", action="append", default=[], metavar="DAY=HH:MM-HH:MM",
        help=f"calling hours of a weekday ({', '.join(WEEKDAYS)}); repeatable",
    )  # fmt: skip
    cmds.add_parser("list", help="every campaign with its status")
    refresh = cmds.add_parser(
        "collection-refresh", help="build or refresh a telecobrança list from the ERP"
    )
    refresh.add_argument("--list", required=True, dest="list_name", help="list name")
    refresh.add_argument("--campaign", default=None, help="campaign name the list belongs to")
    refresh.add_argument(
        "--bracket", action="append", default=[], metavar="NAME=MIN-MAX",
        help="days-overdue bracket (MAX may be empty: open); repeatable; default 1-30 31-90 91+",
    )  # fmt: skip
    refresh.add_argument("--min-amount", default="0", help="least amount overdue")
    refresh.add_argument("--max-amount", default=None, help="largest amount overdue")
    refresh.add_argument("--risks", default="A,B,C,D,E", help="risk classes admitted")
    for action in ACTIONS:
        cmd = cmds.add_parser(action, help=f"{action} a campaign (audited)")
        cmd.add_argument("campaign_id", type=int)


def _now() -> datetime:
    return datetime.now(UTC)


def _fields(args: argparse.Namespace) -> dict[str, Any]:
    from campaigns.domain.errors import CampaignError

    hours = {}
    for item in args.hours:
        day, sep, span = item.partition("=")
        start, dash, end = span.partition("-")
        if not (sep and dash):
            raise CampaignError("hours_invalid", f"--hours {item!r}: write DAY=HH:MM-HH:MM")
        hours[day.strip().lower()] = {"start": start.strip(), "end": end.strip()}
    given = {
        "name": args.name, "kind": args.kind, "queue": args.queue, "caller_id": args.caller_id,
        "profile": args.profile, "mode": args.mode, "ratio": args.ratio,
        "max_abandon_rate": args.max_abandon_rate, "holidays_state": args.state,
        "hours": hours or None,
    }  # fmt: skip
    return {k: v for k, v in given.items() if v is not None}


def _show(c: Any) -> str:
    lists = ",".join(str(i) for i in c.list_ids) or "-"
    return (
        f"{c.id:>4}  {c.name:<24} {c.kind:<13} {c.status:<8} {c.mode:<11} "
        f"queue={c.queue} lists={lists} profile={c.profile}"
    )


async def run_campaign_admin(
    engine: AsyncEngine, args: argparse.Namespace, settings: Settings | None = None
) -> int:
    """Run one of the campaign subcommands on ``engine`` (``settings`` choose the ERP)."""
    from atende.web.campaign_support import AuditAdapter
    from campaigns.app.attach_list import attach_list
    from campaigns.app.change_status import change_status
    from campaigns.app.create_campaign import create_campaign
    from campaigns.app.list_campaigns import list_campaigns
    from campaigns.domain.campaign import CampaignIn
    from campaigns.domain.errors import CampaignError
    from campaigns.sql.campaign_store import SqlCampaignStore
    from campaigns.sql.store import SqlListStore

    store, lists = SqlCampaignStore(engine), SqlListStore(engine)
    command: str = args.campaign_command
    if command == "collection-refresh":
        return await _collection_refresh(engine, lists, args, settings or Settings())
    if command == "list":
        for campaign in await list_campaigns(store):
            print(_show(campaign))
        return 0
    if command == "create":
        try:
            fields = CampaignIn.model_validate(_fields(args))
        except ValidationError as exc:
            where = ".".join(str(p) for p in exc.errors()[0]["loc"])
            raise CampaignError("invalid_request", f"{where}: {exc.errors()[0]['msg']}") from None
        campaign = await create_campaign(store, lists, fields, _now())
        for name in args.lists:
            campaign = await attach_list(store, lists, campaign.id, name, _now())
        print(f"campaign {campaign.id} created (draft)")
        print(_show(campaign))
        return 0
    actor = f"cli:{getpass.getuser()}"
    action: Action = "start" if command == "start" else "pause" if command == "pause" else "stop"
    campaign = await change_status(
        store, AuditAdapter(engine), None, args.campaign_id, action, actor, _now()
    )
    print(f"campaign {campaign.id} {campaign.name}: {campaign.status}")
    return 0


def _rules(args: argparse.Namespace) -> Any:
    from campaigns.domain.collection_rules import SelectionRules
    from campaigns.domain.errors import CampaignError

    brackets = []
    for item in args.bracket:
        name, sep, span = item.partition("=")
        low, dash, high = span.partition("-")
        if not (sep and dash and low.strip().isdigit()):
            raise CampaignError("bracket_invalid", f"--bracket {item!r}: write NAME=MIN-MAX")
        brackets.append(
            {"name": name.strip(), "min_days": int(low), "max_days": int(high) if high else None}
        )
    given: dict[str, Any] = {
        "min_amount": args.min_amount,
        "risks": [r.strip().upper() for r in args.risks.split(",") if r.strip()],
    }
    if brackets:
        given["brackets"] = brackets
    if args.max_amount is not None:
        given["max_amount"] = args.max_amount
    try:
        return SelectionRules.model_validate(given)
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"])
        raise CampaignError("rules_invalid", f"{where}: {exc.errors()[0]['msg']}") from None


async def _collection_refresh(
    engine: AsyncEngine, lists: Any, args: argparse.Namespace, settings: Settings
) -> int:
    from atende.erp_runtime import build_erp
    from campaigns.app.refresh_collection_list import refresh_collection_list

    rules = _rules(args)
    erp = build_erp(settings, engine)
    try:
        r = await refresh_collection_list(
            erp.port, lists, args.list_name, rules, campaign=args.campaign, clock=_now
        )
    finally:
        await erp.close()
    print(
        f"list {args.list_name}: {r.added} added, {r.kept} kept, {r.reopened} reopened, "
        f"{r.settled} settled, {r.skipped} on another list, {r.no_phone} without a phone"
    )
    return 0

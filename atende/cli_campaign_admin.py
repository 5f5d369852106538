"""``atende campaign create|list|start|pause|stop``: campaigns from the command line, through
the same use cases as the API (start, pause and stop are audited with the system user)."""

from __future__ import annotations

import argparse
import getpass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

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


async def run_campaign_admin(engine: AsyncEngine, args: argparse.Namespace) -> int:
    """Run one of the campaign subcommands on ``engine``."""
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

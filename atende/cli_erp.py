"""``atende erp ...``: seed the demo ERP, the batch runs, the consistency check, the outbox."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from atende.settings import Settings

EMBEDDED_ONLY = {"seed", "invoice-run", "production-run", "collection-run", "check"}


def add_erp_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``erp`` command group."""
    erp = sub.add_parser("erp", help="the ERP: demo seed, batch runs, check, outbox")
    cmds = erp.add_subparsers(dest="erp_command", required=True)
    seed = cmds.add_parser("seed", help="seed the demo ERP (refused when already seeded)")
    seed.add_argument("--seed", type=int, default=42, help="random seed (same seed, same data)")
    seed.add_argument("--customers", type=int, default=300, help="how many customers")
    cmds.add_parser("invoice-run", help="invoice every released order")
    cmds.add_parser("production-run", help="production orders for items short of stock")
    cmds.add_parser("collection-run", help="mark promises to pay kept or broken")
    cmds.add_parser("check", help="balances against documents (exit 1 on discrepancies)")
    outbox = cmds.add_parser("outbox", help="call outcomes waiting for or sent to the ERP")
    outbox.add_argument("--dead", action="store_true", help="only dead outcomes")
    retry = cmds.add_parser("retry", help="put a dead outcome back in line")
    retry.add_argument("id")


def run_erp(settings: Settings, args: argparse.Namespace) -> int:
    """Run one ``atende erp`` command; returns the exit status."""
    from erp_bridge.domain.errors import ErpError

    command: str = args.erp_command
    if command in EMBEDDED_ONLY and settings.erp_adapter != "embedded":
        print(f"atende erp {command}: only for the embedded ERP (erp_adapter is protheus)")
        return 2
    try:
        return asyncio.run(_with_engine(settings, lambda engine: _COMMANDS[command](engine, args)))
    except ErpError as err:
        print(f"atende erp {command}: {err.code}: {err.message}")
        return 1


async def _with_engine(settings: Settings, work: Callable[[AsyncEngine], Awaitable[int]]) -> int:
    from atende.db import make_engine, upgrade

    await asyncio.to_thread(upgrade, settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        return await work(engine)
    finally:
        await engine.dispose()


async def _seed(engine: AsyncEngine, args: argparse.Namespace) -> int:
    from erp_bridge.embedded.seed import seed_demo

    s = await seed_demo(engine, args.seed, customers=args.customers)
    print(
        f"seeded: {s.customers} customers, {s.products} products, {s.orders} orders, "
        f"{s.invoices} invoices, {s.open_titles} open titles ({s.overdue_titles} overdue)"
    )
    return 0


async def _invoice_run(engine: AsyncEngine, args: argparse.Namespace) -> int:
    from erp_bridge.embedded.runs import invoice_run

    done = await invoice_run(engine)
    for inv in done:
        print(f"invoice {inv.series}-{inv.number} order {inv.order} total {inv.total}")
    print(f"{len(done)} invoices")
    return 0


async def _production_run(engine: AsyncEngine, args: argparse.Namespace) -> int:
    from erp_bridge.embedded.runs import production_run

    made = await production_run(engine)
    for po in made:
        print(f"production order {po.number} {po.product} quantity {po.quantity}")
    print(f"{len(made)} production orders")
    return 0


async def _collection_run(engine: AsyncEngine, args: argparse.Namespace) -> int:
    from erp_bridge.embedded.runs import collection_run

    changed = await collection_run(engine)
    for p in changed:
        print(f"promise {p.id} of {p.customer_code}/{p.customer_store}: {p.status}")
    print(f"{len(changed)} promises settled")
    return 0


async def _check(engine: AsyncEngine, args: argparse.Namespace) -> int:
    from erp_bridge.embedded.runs import consistency_check

    problems = await consistency_check(engine)
    for problem in problems:
        print(problem)
    print("consistent" if not problems else f"{len(problems)} discrepancies")
    return 1 if problems else 0


async def _outbox(engine: AsyncEngine, args: argparse.Namespace) -> int:
    from erp_bridge.outbox.supervision import list_outcomes

    views = await list_outcomes(engine, status="dead" if args.dead else None, limit=1000)
    for v in views:
        why = f"{v.reject_code}: {v.reject_message}" if v.reject_code else v.last_error
        print(f"{v.id} {v.kind:<14} {v.status:<9} attempts={v.attempts} call={v.call_id} {why}")
    print(f"{len(views)} outcomes")
    return 0


async def _retry(engine: AsyncEngine, args: argparse.Namespace) -> int:
    from erp_bridge.outbox.supervision import retry_outcome

    await retry_outcome(engine, args.id, now=datetime.now(UTC))
    print(f"outcome {args.id} is pending again")
    return 0


_COMMANDS: dict[str, Callable[[AsyncEngine, argparse.Namespace], Awaitable[int]]] = {
    "seed": _seed,
    "invoice-run": _invoice_run,
    "production-run": _production_run,
    "collection-run": _collection_run,
    "check": _check,
    "outbox": _outbox,
    "retry": _retry,
}

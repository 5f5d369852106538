"""``atende erp ...``: seed the demo ERP, the batch runs, the consistency check, the outbox."""

from __future__ import annotations

import argparse
import asyncio
import getpass
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncEngine

from atende.settings import Settings
from erp_bridge.domain.money import money

# credit analyst's commands on one order: name, help
ORDER_ACTIONS = (
    ("release", "release an order's credit (then its stock)"),
    ("release-stock", "judge stock again for items blocked by stock (02) or by hand (03)"),
    ("reject", "reject (09) an order's blocked items"),
    ("reverse", "reverse (05) the release of released, not invoiced items"),
    ("hold-stock", "block by hand (stock 03) released, not invoiced items"),
)

EMBEDDED_ONLY = {
    "seed",
    "invoice-run",
    "production-run",
    "collection-run",
    "check",
    "parameters",
    "import",
    "complete-production",
    *(name for name, _ in ORDER_ACTIONS),
}


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
    for name, text in ORDER_ACTIONS:
        act = cmds.add_parser(name, help=text)
        act.add_argument("order", help="order number")
        act.add_argument("--items", default="", help="item numbers, comma-separated (all)")
        act.add_argument("--reason", default="", help="why (kept in the order's history)")
        act.add_argument("--by", default="", help="who (default: cli:<login name>)")
    load = cmds.add_parser("import", help="load master data from a CSV or XLSX file")
    load.add_argument(
        "kind",
        help="customers, contacts, products, bom, stock, stock_entries, "
        "operations, payment_terms, price_tables, prices, receivables",
    )
    load.add_argument("file", help="the file (first row names the columns)")
    load.add_argument("--format", choices=["csv", "xlsx"], help="default: the file's suffix")
    made = cmds.add_parser("complete-production", help="report a quantity made")
    made.add_argument("number", help="production order number")
    made.add_argument("quantity", help="quantity made")
    params = cmds.add_parser("parameters", help="the site's credit parameters (MV_...)")
    params.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="change one (repeat)"
    )
    params.add_argument("--by", default="", help="who (default: cli:<login name>)")
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
        print(f"invoice {inv.series}-{inv.number} order {inv.order} total {money(inv.total)}")
    total = sum((inv.total for inv in done), Decimal(0))
    print(f"{len(done)} invoices, total {money(total)}")
    return 0


async def _order_action(engine: AsyncEngine, args: argparse.Namespace) -> int:
    from erp_bridge.app import release_orders as act
    from erp_bridge.embedded.adapter import EmbeddedErp

    erp = EmbeddedErp(engine)
    who = act.Analyst(args.by or f"cli:{getpass.getuser()}", args.reason)
    items = [i.strip() for i in args.items.split(",") if i.strip()] or None
    run = {
        "release": act.release_order,
        "release-stock": act.release_stock,
        "reject": act.reject_order,
        "reverse": act.reverse_release,
        "hold-stock": act.hold_stock,
    }[args.erp_command]
    result = await run(erp, args.order, items=items, analyst=who)
    why = "; ".join(x for x in (result.credit_reason, result.stock_reason) if x)
    print(f"order {result.order}: {result.status}" + (f" ({why})" if why else ""))
    for ln in result.lines:
        blocks = f"credit {ln.credit_block or '--'} stock {ln.stock_block or '--'}"
        print(f"  item {ln.item} {ln.product} {ln.quantity} value {money(ln.value)} {blocks}")
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


async def _import(engine: AsyncEngine, args: argparse.Namespace) -> int:
    from pathlib import Path

    from erp_bridge.app.import_master import file_rows, import_rows
    from erp_bridge.domain.master import Touched
    from erp_bridge.embedded.adapter import EmbeddedErp

    path = Path(args.file)
    fmt = args.format or path.suffix.lstrip(".").lower()
    erp = EmbeddedErp(engine)
    touched = Touched()
    report = await import_rows(erp, args.kind, file_rows(path, fmt), touched=touched)
    for problem in report.refused:
        print(f"line {problem.line}: {problem.field or '-'}: {problem.problem}")
    analysed = await erp.reanalyse(touched)
    print(
        f"{report.kind}: {report.rows} rows, {report.added} added, {report.changed} changed, "
        f"{report.unchanged} unchanged, {len(report.refused)} refused"
        + (f"; orders judged again: {', '.join(analysed)}" if analysed else "")
    )
    return 1 if report.refused else 0


async def _complete_production(engine: AsyncEngine, args: argparse.Namespace) -> int:
    from erp_bridge.embedded.adapter import EmbeddedErp

    try:
        quantity = Decimal(args.quantity)
    except ArithmeticError:
        print(f"atende erp complete-production: {args.quantity!r} is not a quantity")
        return 2
    done = await EmbeddedErp(engine).complete_production(args.number, quantity)
    print(
        f"production order {done.number} {done.product}: {done.completed} of {done.quantity}, "
        f"{done.status}"
    )
    return 0


async def _parameters(engine: AsyncEngine, args: argparse.Namespace) -> int:
    from erp_bridge.embedded.adapter import EmbeddedErp

    erp = EmbeddedErp(engine)
    if args.set:
        pairs = [item.partition("=") for item in args.set]
        if any(not sep for _, sep, _ in pairs):
            print("atende erp parameters: --set takes NAME=VALUE")
            return 2
        made = await erp.set_parameters(
            {name.strip().upper(): value for name, _, value in pairs},
            by=args.by or f"cli:{getpass.getuser()}",
        )
        for change in made:
            print(f"{change.name}: {change.old} -> {change.new}")
    sheet = await erp.parameters(changes=0)
    for line in sheet.parameters:
        mark = "*" if line.stored else " "
        print(f"{mark} {line.name:<12} {line.current:<12} {line.meaning}")
    return 0


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
    **{name: _order_action for name, _ in ORDER_ACTIONS},
    "parameters": _parameters,
    "import": _import,
    "complete-production": _complete_production,
    "outbox": _outbox,
    "retry": _retry,
}

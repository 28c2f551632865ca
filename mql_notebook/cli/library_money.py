"""``mql-notebook library spent | budget | prices``: what the library spent, its budget, and
the price table it keeps for every client that records into it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

from ..client.spending import left_text
from ..library import INDEX_NAME, BudgetStatus, Library
from ..money import PriceTable, format_amount, read_prices
from .console import print_table
from .exit_codes import EXIT_OK
from .library_action import LibraryActions, guarded


def add_money_parsers(actions: LibraryActions) -> None:
    spent = actions.add(
        "spent",
        guarded(run_spent),
        "videos, seconds and cost per model and day",
        "Totals of what this library's creates made and cost, per day (local time) "
        "and model: the cost the server reported, else the estimate from the price table. A "
        "create the server refused, or a job that failed unbilled, counts for nothing.",
    )
    spent.add_argument(
        "--since", default=None, metavar="DATE", help="from this day on (YYYY-MM-DD)"
    )
    spent.add_argument("--json", action="store_true", help="one JSON object: rows, total, budget")

    budget = actions.add(
        "budget",
        guarded(run_budget),
        "show or set the budget every client recording here keeps within",
        "With no limits given, show the budget and what is left. Given limits "
        "replace it: a create that would go over is refused before it is sent, by every "
        "client, widget and batch recording into this library (several processes at once too).",
    )
    budget.add_argument("--videos", type=int, default=None, metavar="N")
    budget.add_argument("--seconds", type=float, default=None, metavar="S", help="of video")
    budget.add_argument(
        "--amount", type=float, default=None, help="money, in the price table's currency"
    )
    budget.add_argument(
        "--per",
        choices=("day", "month", "total"),
        default="day",
        help="the period it counts (default: %(default)s; total: in all)",
    )
    budget.add_argument("--clear", action="store_true", help="remove the budget")
    budget.add_argument("--json", action="store_true")

    prices = actions.add(
        "prices",
        guarded(run_prices),
        "show or store the price table estimates come from",
        "Store a price table (a JSON file) in the library: every client recording "
        "here estimates with it, unless it has its own (prices=, MQL_PRICES). "
        '{"currency": "USD", "models": {"sora": {"per_second": 0.1}, '
        '"veo-3": {"per_second": {"720p": 0.4, "1080p": 0.75}}, "*": {"per_video": 0.5}}}',
    )
    prices.add_argument("file", nargs="?", type=Path, default=None, help="the JSON file to store")
    prices.add_argument("--clear", action="store_true", help="remove the stored table")


def run_spent(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    library = Library(args.library)
    exists = (library.path / INDEX_NAME).exists()
    rows = library.spent(args.since) if exists else []
    status = library.budget_status() if exists else None
    prices = library.prices() if exists else None
    currency = next((r.currency for r in rows if r.currency), prices.currency if prices else None)
    total: dict[str, Any] = {
        "videos": sum(r.videos for r in rows),
        "seconds": sum(r.seconds for r in rows),
        "cost": round(sum(r.cost for r in rows), 10),
        "currency": currency,
        "entries": sum(r.entries for r in rows),
        "estimated": sum(r.estimated for r in rows),
        "unpriced": sum(r.unpriced for r in rows),
    }
    if args.json:
        report = {
            "since": args.since,
            "rows": [r.to_dict() for r in rows],
            "total": total,
            "budget": None if status is None else _budget_dict(status),
        }
        print(json.dumps(report, ensure_ascii=False), file=out)
        return EXIT_OK
    if not rows:
        print(
            f"nothing spent in {library.path}" + (f" since {args.since}" if args.since else ""),
            file=err,
        )
    else:
        print_table(
            out,
            ["DAY", "MODEL", "VIDEOS", "SECONDS", "COST"],
            [
                [
                    r.day,
                    r.model or "-",
                    r.videos,
                    f"{r.seconds:g}",
                    _cost(r.cost, r.currency, r.estimated, r.unpriced),
                ]
                for r in rows
            ],
            right=("VIDEOS", "SECONDS", "COST"),
            footer=[
                "total",
                "",
                total["videos"],
                f"{total['seconds']:g}",
                _cost(total["cost"], currency, total["estimated"], total["unpriced"]),
            ],
        )
        notes = []
        if total["estimated"]:
            notes.append("~: estimated from the price table (the server reported no cost)")
        if total["unpriced"]:
            notes.append("?: some had no price (no price table, or the model is not in it)")
        if notes:
            print("; ".join(notes), file=out)
    if status is not None:
        print(_budget_line(status, currency), file=out)
    return EXIT_OK


def run_budget(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    library = Library(args.library)
    limits = (args.amount, args.seconds, args.videos)
    if args.clear:
        library.clear_budget()
        print(f"no budget in {library.path} from now on", file=err)
        return EXIT_OK
    if any(v is not None for v in limits):
        per = None if args.per == "total" else args.per
        library.set_budget(amount=args.amount, seconds=args.seconds, videos=args.videos, per=per)
    elif not (library.path / INDEX_NAME).exists():
        print(f"no budget: no library in {library.path}", file=err)
        return EXIT_OK
    status = library.budget_status()
    prices = library.prices()
    currency = prices.currency if prices else None
    if args.json:
        print(json.dumps(None if status is None else _budget_dict(status)), file=out)
    elif status is None:
        print(
            f"no budget in {library.path}; set one with --videos, --seconds or --amount", file=err
        )
    else:
        print(_budget_line(status, currency), file=out)
    return EXIT_OK


def run_prices(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    library = Library(args.library)
    if args.clear:
        library.clear_prices()
        print(
            f"no price table in {library.path}: costs are unknown unless a client has its own",
            file=err,
        )
        return EXIT_OK
    table: PriceTable | None
    if args.file is not None:
        table = library.set_prices(read_prices(args.file, source=str(args.file)))
        print(f"stored the price table of {args.file} in {library.path}", file=err)
    else:
        table = library.prices() if (library.path / INDEX_NAME).exists() else None
        if table is None:
            print(
                f"no price table in {library.path}: costs are unknown; store one with "
                "`mql-notebook library prices FILE`",
                file=err,
            )
            return EXIT_OK
    print(json.dumps(table.to_dict(), indent=2), file=out)
    return EXIT_OK


def _cost(amount: float, currency: str | None, estimated: int, unpriced: int) -> str:
    if not amount and unpriced and not estimated:
        return "unknown"
    text = format_amount(amount, currency)
    return ("~" if estimated else "") + text + ("?" if unpriced else "")


def _budget_dict(status: BudgetStatus) -> dict[str, Any]:
    return {
        **status.budget.to_dict(),
        "spent": status.spent.to_dict(),
        "left": {
            name: value
            for name, value in status.left.to_dict().items()
            if getattr(status.budget, name) is not None
        },
        "since": status.since,
    }


def _budget_line(status: BudgetStatus, currency: str | None) -> str:
    """``budget 10 videos a day: spent today 8 video(s), 40 s, $4.00; 2 videos left``."""
    when = {"day": "today", "month": "this month", None: "in all"}[status.budget.per]
    spent = status.spent
    money = f", {format_amount(spent.amount, currency)}" if currency or spent.amount else ""
    return (
        f"budget {status.budget.text(currency)}: spent {when} {spent.videos} video(s), "
        f"{spent.seconds:g} s{money}; {left_text(status, currency)}"
    )

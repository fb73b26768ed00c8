"""Codes of every partner: ``codes list | export | pause | unpause``."""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterable

from coupons.core import code_items as codes
from coupons.core.models import CodeRecord, DiscountKind
from coupons.core.money import to_wire
from coupons.core.table import Table

COLUMNS = [
    "code", "kind", "value", "currency", "balance", "uses", "max_uses", "expires_on", "status",
    "partner", "account", "person", "description", "created_at",
]


def rows(records: Iterable[CodeRecord]) -> Iterable[dict]:
    for r in records:
        yield {
            "code": r.code, "kind": r.discount.kind.value, "value": _value(r), "currency": r.discount.currency,
            "balance": to_wire(r.balance) if r.balance is not None else None, "uses": r.uses,
            "max_uses": r.max_uses, "expires_on": r.expires_on,
            "status": r.status, "partner": r.owner.partner, "account": r.owner.account, "person": r.owner.person,
            "description": r.description, "created_at": r.created_at.isoformat(),
        }


def _value(record: CodeRecord) -> str | None:
    """Money as partners write it (100.00); a percentage as given (20)."""
    value = record.discount.value
    if value is None or record.discount.kind is DiscountKind.PERCENT:
        return None if value is None else str(value)
    return to_wire(value)


def _records(table: Table, args: argparse.Namespace) -> Iterable[CodeRecord]:
    return codes.list_by_owner(table, args.partner, args.account)


def _export(table: Table, args: argparse.Namespace) -> None:
    out = open(args.output, "w", newline="") if args.output else sys.stdout  # noqa: SIM115 - closed below, unless stdout
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows(_records(table, args)))
    if args.output:
        out.close()


def _list(table: Table, args: argparse.Namespace) -> None:
    for row in rows(_records(table, args)):
        print("\t".join(str(row[c]) if row[c] is not None else "-" for c in COLUMNS[:11]))


def _pause(table: Table, args: argparse.Namespace) -> None:
    from coupons_admin import guard

    done = (guard.pause if args.command == "pause" else guard.unpause)(table, args.code)
    state = "paused" if args.command == "pause" else "unpaused"
    print(f"{args.code.upper()} {state}" if done else f"{args.code.upper()} was already {state}: nothing changed")


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("codes", help="codes per partner account (list, CSV export)")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, run, text in (("list", _list, "print codes"), ("export", _export, "write codes as CSV")):
        command = commands.add_parser(name, help=text)
        command.add_argument("partner", help="brandbassador, sitevibes, affonso, friendbuy")
        command.add_argument("account", help="webshop, reward, programme or campaign id")
        if name == "export":
            command.add_argument("-o", "--output", help="file to write (default: standard output)")
        command.set_defaults(run=run)
    for name, text in (("pause", "refuse new redemptions of a code (reason paused)"),
                       ("unpause", "accept a paused code again, exactly as it was (docs/guard.md)")):
        command = commands.add_parser(name, help=text)
        command.add_argument("code")
        command.set_defaults(run=_pause)

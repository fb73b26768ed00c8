"""Affonso programmes: ``programmes add | update | list | rotate-key | coupons | export | disable``."""

from __future__ import annotations

import argparse
import csv
import getpass
import os
import sys
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation

from coupons.affonso import affiliates
from coupons.affonso import items as affiliate_items
from coupons.affonso.programmes import PARTNER, ProgrammeSettings
from coupons.core import account_items as accounts
from coupons.core import code_items as codes
from coupons.core import money
from coupons.core.credentials import hash_secret
from coupons.core.errors import InvalidRequest, NotFound
from coupons.core.models import Account, Discount, DiscountKind
from coupons.core.table import Table

BLUEPRINT_TYPES = {"percentage": DiscountKind.PERCENT, "flat": DiscountKind.FIXED}
_BLUEPRINT_WORDS = {kind: word for word, kind in BLUEPRINT_TYPES.items()}
COLUMNS = ["email", "name", "affiliate_id", "code", "discount_type", "discount_value", "currency", "status",
           "created_at", "disabled_by", "disabled_at"]


def add_programme(table: Table, programme_id: str, api_key: str, settings: ProgrammeSettings) -> None:
    accounts.put(table, Account(partner=PARTNER, account_id=programme_id, secret_hash=hash_secret(api_key),
                                settings=settings.model_dump(mode="json")))


def blueprint(kind: str | None, value: str | None, currency: str | None) -> Discount | None:
    """A blueprint from the CLI's words (``percentage 20``, ``flat 10.00 EUR``), or None for none."""
    if kind is None:
        return None
    try:
        amount = Decimal(value or "")
    except InvalidOperation:
        raise InvalidRequest(f"The blueprint value {value!r} is not a number") from None
    if BLUEPRINT_TYPES[kind] is DiscountKind.FIXED:
        if not currency:
            raise InvalidRequest("A flat blueprint needs --currency")
        currency = money.require_currency(currency)
    elif currency:
        raise InvalidRequest("--currency applies to flat blueprints only")
    try:
        return Discount(kind=BLUEPRINT_TYPES[kind], value=amount, currency=currency)
    except ValueError as problem:
        raise InvalidRequest(f"Invalid blueprint: {problem.errors()[0]['msg']}") from None


def _settings(table: Table, programme_id: str) -> tuple[Account, ProgrammeSettings]:
    account = accounts.get(table, PARTNER, programme_id)
    if account is None:
        raise NotFound(f"Unknown programme {programme_id!r}")
    return account, ProgrammeSettings.model_validate(account.settings)


def _key(args: argparse.Namespace) -> str:
    """From --api-key, else $AFFONSO_API_KEY, else a prompt (keeps the key out of shell history)."""
    key = args.api_key or os.environ.get("AFFONSO_API_KEY") or getpass.getpass("API key: ")
    if not key:
        raise InvalidRequest("An API key is needed")
    return key


def _add(table: Table, args: argparse.Namespace) -> None:
    settings = ProgrammeSettings(
        name=args.name,
        blueprint=blueprint(args.blueprint_type, args.blueprint_value, args.currency),
        self_service=args.self_service == "on",
        website_url=args.website_url,
    )
    add_programme(table, args.programme, _key(args), settings)
    print(f"programme {args.programme} saved: {_describe(settings)}")


def _update(table: Table, args: argparse.Namespace) -> None:
    account, settings = _settings(table, args.programme)
    changes: dict = {}
    if args.name:
        changes["name"] = args.name
    if args.no_blueprint:
        changes["blueprint"] = None
    elif args.blueprint_type:
        changes["blueprint"] = blueprint(args.blueprint_type, args.blueprint_value, args.currency)
    if args.self_service:
        changes["self_service"] = args.self_service == "on"
    if args.website_url is not None:
        changes["website_url"] = args.website_url or None
    settings = settings.model_copy(update=changes)
    accounts.put(table, account.model_copy(update={"settings": settings.model_dump(mode="json")}))
    print(f"programme {args.programme} saved: {_describe(settings)}")


def _describe(settings: ProgrammeSettings) -> str:
    if settings.blueprint is None:
        shape = "no blueprint"
    else:
        b = settings.blueprint
        shape = f"{b.value} %" if b.kind is DiscountKind.PERCENT else f"{b.value} {b.currency} flat"
    return f"{settings.name!r}, blueprint {shape}, self-service {'on' if settings.self_service else 'off'}"


def _list(table: Table, args: argparse.Namespace) -> None:
    for account in accounts.list_all(table, PARTNER):
        print(f"{account.account_id}\t{_describe(ProgrammeSettings.model_validate(account.settings))}")


def _rotate(table: Table, args: argparse.Namespace) -> None:
    accounts.set_secret(table, PARTNER, args.programme, hash_secret(_key(args)))
    print(f"API key of programme {args.programme} replaced; the old key stops working now")


def coupon_rows(table: Table, programme_id: str) -> Iterator[dict]:
    """One row per affiliate of the programme, with its coupon (blank when it has none)."""
    _settings(table, programme_id)
    coupons = {record.owner.person: record for record in codes.list_by_owner(table, PARTNER, programme_id)}
    for profile in affiliate_items.list_affiliates(table, programme_id):
        record = coupons.get(profile["affiliate_id"])
        row = {"email": profile["email"], "name": profile.get("name"), "affiliate_id": profile["affiliate_id"]}
        if record is not None:
            row.update(
                code=record.code,
                discount_type=_BLUEPRINT_WORDS.get(record.discount.kind, record.discount.kind.value),
                discount_value=record.discount.value, currency=record.discount.currency, status=record.status,
                created_at=record.created_at.isoformat(), disabled_by=record.disabled_by,
                disabled_at=record.disabled_at.isoformat() if record.disabled_at else None,
            )
        yield {column: row.get(column) for column in COLUMNS}


def _coupons(table: Table, args: argparse.Namespace) -> None:
    for row in coupon_rows(table, args.programme):
        if row["code"] or args.all:
            print("\t".join("-" if row[c] is None else str(row[c]) for c in COLUMNS[:8]))


def _export(table: Table, args: argparse.Namespace) -> None:
    out = open(args.output, "w", newline="") if args.output else sys.stdout  # noqa: SIM115 - closed below, unless stdout
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(_with_coupon(coupon_rows(table, args.programme), args.all))
    if args.output:
        out.close()


def _with_coupon(rows: Iterable[dict], everyone: bool) -> Iterable[dict]:
    return (row for row in rows if everyone or row["code"])


def _disable(table: Table, args: argparse.Namespace) -> None:
    record = affiliates.disable_coupon(table, args.code, by=args.by)
    print(f"coupon {record.code} disabled by {record.disabled_by} at {record.disabled_at.isoformat()}; "
          "checkout refuses it from now on")


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("programmes", help="Affonso programmes (API key, coupon blueprint, self-service)")
    commands = parser.add_subparsers(dest="command", required=True)

    def settings_options(command: argparse.ArgumentParser, creating: bool) -> None:
        command.add_argument("programme", help="programme id, the programId the brand's server sends")
        command.add_argument("--name", required=creating, help="programme name shown to affiliates")
        command.add_argument("--blueprint-type", choices=sorted(BLUEPRINT_TYPES), help="discount of every coupon")
        command.add_argument("--blueprint-value", help="percent (e.g. 20) or flat amount (e.g. 10.00)")
        command.add_argument("--currency", help="ISO 4217 currency of a flat blueprint")
        command.add_argument("--self-service", choices=["on", "off"], default="off" if creating else None,
                             help="may affiliates create their own coupon")
        command.add_argument("--website-url", help="brand site; affiliate links are <url>?via=<tracking id>")

    add = commands.add_parser("add", help="add or replace a programme")
    settings_options(add, creating=True)
    add.add_argument("--api-key", help="the key the brand's server presents (stored hashed; default: "
                                       "$AFFONSO_API_KEY or a prompt)")
    add.set_defaults(run=_add)

    update = commands.add_parser("update", help="change a programme's settings (not its key)")
    settings_options(update, creating=False)
    update.add_argument("--no-blueprint", action="store_true", help="remove the blueprint")
    update.set_defaults(run=_update)

    commands.add_parser("list", help="list programmes").set_defaults(run=_list)

    rotate = commands.add_parser("rotate-key", help="replace a programme's API key")
    rotate.add_argument("programme")
    rotate.add_argument("--api-key")
    rotate.set_defaults(run=_rotate)

    for name, run, text in (("coupons", _coupons, "print affiliates' coupons"),
                            ("export", _export, "write affiliates' coupons as CSV")):
        command = commands.add_parser(name, help=text)
        command.add_argument("programme")
        command.add_argument("--all", action="store_true", help="also affiliates without a coupon")
        if name == "export":
            command.add_argument("-o", "--output", help="file to write (default: standard output)")
        command.set_defaults(run=run)

    disable = commands.add_parser("disable", help="disable an affiliate's coupon (checkout refuses it)")
    disable.add_argument("code")
    disable.add_argument("--by", default=os.environ.get("USER") or "admin", help="who disables it (recorded)")
    disable.set_defaults(run=_disable)

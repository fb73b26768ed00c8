"""Affonso programmes: ``programmes add | update | list | rotate-key | coupons | export | disable |
creative-add | creative-remove``."""

from __future__ import annotations

import argparse
import csv
import getpass
import hashlib
import os
import sys
from collections.abc import Iterable, Iterator
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from coupons.affonso import affiliates
from coupons.affonso import items as affiliate_items
from coupons.affonso.programmes import MAX_DAILY_COUPONS, MAX_DAILY_FLAT_VALUE, PARTNER, Creative, ProgrammeSettings
from coupons.core import account_items as accounts
from coupons.core import code_items as codes
from coupons.core import money
from coupons.core.credentials import hash_secret
from coupons.core.errors import InvalidRequest, NotFound
from coupons.core.models import Account, Discount, DiscountKind
from coupons.core.table import Table
from coupons_admin.durations import duration

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
    else:
        currency = None  # a percent discount has none; --currency is then the programme's alone
    try:
        return Discount(kind=BLUEPRINT_TYPES[kind], value=amount, currency=currency)
    except ValidationError as problem:
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


def _validated(fields: dict[str, Any]) -> ProgrammeSettings:
    try:
        settings = ProgrammeSettings.model_validate(fields)
    except ValidationError as problem:
        first = problem.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidRequest(f"Invalid programme setting {where}: {first['msg'].removeprefix('Value error, ')}") from None
    b = settings.blueprint
    if settings.daily_flat_value is not None and b is not None and b.kind is DiscountKind.FIXED and b.value is not None \
            and settings.daily_flat_value < b.value:
        # Checked here, not in the model: a stored programme must always be readable.
        raise InvalidRequest(f"A daily flat value of {settings.daily_flat_value} is less than one coupon's "
                             f"{b.value}: no coupon could be made")
    return settings


def _changes(args: argparse.Namespace, current: ProgrammeSettings | None) -> dict[str, Any]:
    """The settings the command line names, as ProgrammeSettings fields (absent: left as they are)."""
    changes: dict[str, Any] = {}
    currency = money.require_currency(args.currency) if args.currency else None
    if currency:
        changes["currency"] = currency
    if args.name:
        changes["name"] = args.name
    if getattr(args, "no_blueprint", False):
        changes["blueprint"] = None
    elif args.blueprint_type:
        changes["blueprint"] = blueprint(args.blueprint_type, args.blueprint_value,
                                         currency or (current.currency if current else None))
    if args.self_service:
        changes["self_service"] = args.self_service == "on"
    for option in ("website_url", "portal_url", "logo_url"):
        if getattr(args, option) is not None:
            changes[option] = getattr(args, option) or None  # "" clears it
    theme = dict(current.theme.model_dump()) if current else {}
    for option in ("primary_color", "secondary_color"):
        if getattr(args, option) is not None:
            theme[option] = getattr(args, option) or None
    changes["theme"] = theme
    if getattr(args, "no_rewards", False):
        changes["rewards"] = None
    elif args.reward_type:
        changes["rewards"] = {"type": args.reward_type, "amount": _number(args.reward_amount, "--reward-amount"),
                              "recurring": args.reward_recurring == "on", "duration": args.reward_duration}
        programme_currency = currency or (current.totals_currency if current else None)
        if args.reward_type == "flat" and not programme_currency:
            raise InvalidRequest("A flat reward needs the programme's --currency")
    if getattr(args, "no_incentives", False):
        changes["incentives"] = []
    elif args.incentive:
        changes["incentives"] = [_incentive(text) for text in args.incentive]
    if getattr(args, "no_daily_limits", False):
        changes.update(daily_coupons=None, daily_flat_value=None)
    if args.daily_coupons is not None:
        changes["daily_coupons"] = args.daily_coupons
    if args.daily_flat_value is not None:
        changes["daily_flat_value"] = money.parse_amount(args.daily_flat_value, "--daily-flat-value")
    return changes


def _daily_coupons(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= count <= MAX_DAILY_COUPONS:
        raise argparse.ArgumentTypeError(f"{count} is not between 1 and {MAX_DAILY_COUPONS:,}")
    return count


def _number(text: str | None, option: str) -> Decimal:
    try:
        return Decimal(text or "")
    except InvalidOperation:
        raise InvalidRequest(f"{option} {text!r} is not a number") from None


def _incentive(text: str) -> dict[str, str | None]:
    """``"Name: description"`` or just ``"Name"``."""
    name, _, description = text.partition(":")
    return {"name": name.strip(), "description": description.strip() or None}


def _add(table: Table, args: argparse.Namespace) -> None:
    settings = _validated({"name": args.name, **_changes(args, None), "self_service": args.self_service == "on"})
    add_programme(table, args.programme, _key(args), settings)
    print(f"programme {args.programme} saved: {_describe(settings)}")


def _update(table: Table, args: argparse.Namespace) -> None:
    account, settings = _settings(table, args.programme)
    settings = _validated({**settings.model_dump(), **_changes(args, settings)})
    _save(table, account, settings)
    print(f"programme {args.programme} saved: {_describe(settings)}")


def _save(table: Table, account: Account, settings: ProgrammeSettings) -> None:
    """Only if nobody changed the programme since ``account`` was read (its version): a concurrent
    edit or key rotation is never undone; this command fails and says so instead."""
    accounts.save(table, account.model_copy(update={"settings": settings.model_dump(mode="json")}))


def _creative_add(table: Table, args: argparse.Namespace) -> None:
    account, settings = _settings(table, args.programme)
    # A stable id (programme, name and URL), so adding the same creative twice replaces it.
    creative_id = "cr_" + hashlib.sha256(f"{args.programme}\n{args.name}\n{args.url}".encode()).hexdigest()[:10]
    try:
        creative = Creative(id=creative_id, name=args.name, url=args.url, description=args.description,
                            category=args.category, width=args.width, height=args.height)
    except ValidationError as problem:
        raise InvalidRequest(f"Invalid creative: {problem.errors()[0]['msg'].removeprefix('Value error, ')}") from None
    kept = [c for c in settings.creatives if c.id != creative_id]
    _save(table, account, settings.model_copy(update={"creatives": [*kept, creative]}))
    print(f"creative {creative_id} saved in programme {args.programme}")


def _creative_remove(table: Table, args: argparse.Namespace) -> None:
    account, settings = _settings(table, args.programme)
    kept = [c for c in settings.creatives if c.id != args.creative]
    if len(kept) == len(settings.creatives):
        raise NotFound(f"Programme {args.programme!r} has no creative {args.creative!r}")
    _save(table, account, settings.model_copy(update={"creatives": kept}))
    print(f"creative {args.creative} removed from programme {args.programme}")


def _describe(settings: ProgrammeSettings) -> str:
    if settings.blueprint is None:
        shape = "no blueprint"
    else:
        b = settings.blueprint
        shape = f"{b.value} %" if b.kind is DiscountKind.PERCENT else f"{b.value} {b.currency} flat"
    said = f"{settings.name!r}, blueprint {shape}, self-service {'on' if settings.self_service else 'off'}"
    if settings.rewards is not None:
        r = settings.rewards
        said += f", rewards {r.amount} {'%' if r.type.value == 'percentage' else settings.totals_currency} per sale"
    limits = [f"{settings.daily_coupons} coupons"] if settings.daily_coupons is not None else []
    if settings.daily_flat_value is not None:
        limits.append(f"{settings.daily_flat_value} of flat coupons")
    said += f", daily limit {' and '.join(limits)}" if limits else ", no daily limit"
    return said


def _list(table: Table, args: argparse.Namespace) -> None:
    for account in accounts.list_all(table, PARTNER):
        print(f"{account.account_id}\t{_describe(ProgrammeSettings.model_validate(account.settings))}")


def _rotate(table: Table, args: argparse.Namespace) -> None:
    accounts.set_secret(table, PARTNER, args.programme, hash_secret(_key(args)), args.grace)
    when = f"in {args.grace}" if args.grace else "now"
    print(f"API key of programme {args.programme} replaced; the old key stops working {when}")


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
    when = record.disabled_at.isoformat() if record.disabled_at else "now"
    print(f"coupon {record.code} disabled by {record.disabled_by} at {when}; "
          "checkout refuses it from now on")


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("programmes", help="Affonso programmes (API key, coupon blueprint, self-service)")
    commands = parser.add_subparsers(dest="command", required=True)

    def settings_options(command: argparse.ArgumentParser, creating: bool) -> None:
        command.add_argument("programme", help="programme id, the programId the brand's server sends")
        command.add_argument("--name", required=creating, help="programme name shown to affiliates")
        command.add_argument("--blueprint-type", choices=sorted(BLUEPRINT_TYPES), help="discount of every coupon")
        command.add_argument("--blueprint-value", help="percent (e.g. 20) or flat amount (e.g. 10.00)")
        command.add_argument("--currency", help="the programme's ISO 4217 currency: a flat blueprint's and a flat "
                                                "reward's, and the one sales totals are counted in")
        command.add_argument("--self-service", choices=["on", "off"], default="off" if creating else None,
                             help="may affiliates create their own coupon")
        command.add_argument("--website-url", help="brand site; affiliate links are <url>?via=<tracking id>")
        command.add_argument("--portal-url", help="where the brand hosts the affiliate portal page (portalUrl)")
        command.add_argument("--logo-url", help="the programme's logo, shown in the portal")
        command.add_argument("--primary-color", help="portal theme colour, #rrggbb (buttons, header rule)")
        command.add_argument("--secondary-color", help="portal theme colour, #rrggbb (light backgrounds)")
        command.add_argument("--reward-type", choices=["percentage", "flat"],
                             help="commission per sale: a percent of the paid goods total, or a flat amount")
        command.add_argument("--reward-amount", help="percent (e.g. 10) or flat amount in --currency (e.g. 5.00)")
        command.add_argument("--reward-recurring", choices=["on", "off"], default="off",
                             help="shown to affiliates as Affonso's rewards.recurring")
        command.add_argument("--reward-duration", help='shown to affiliates, e.g. "lifetime" or "12 months"')
        command.add_argument("--incentive", action="append",
                             help='a bonus shown to affiliates, "Name: description"; repeat for more '
                                  "(update: replaces the list)")
        command.add_argument("--daily-coupons", type=_daily_coupons, metavar="N",
                             help=f"coupons the programme's affiliates may create per UTC day, 1 to "
                                  f"{MAX_DAILY_COUPONS:,} (default: no limit); beyond it: 429 RATE_LIMIT_EXCEEDED")
        command.add_argument("--daily-flat-value", metavar="AMOUNT",
                             help="with a flat blueprint: the sum of the coupons' amounts created per UTC day, e.g. "
                                  f"500.00, at most {MAX_DAILY_FLAT_VALUE} (default: no limit)")

    add = commands.add_parser("add", help="add or replace a programme")
    settings_options(add, creating=True)
    add.add_argument("--api-key", help="the key the brand's server presents (stored hashed; default: "
                                       "$AFFONSO_API_KEY or a prompt)")
    add.set_defaults(run=_add)

    update = commands.add_parser("update", help="change a programme's settings (not its key)")
    settings_options(update, creating=False)
    update.add_argument("--no-blueprint", action="store_true", help="remove the blueprint")
    update.add_argument("--no-rewards", action="store_true", help="remove the commission terms")
    update.add_argument("--no-incentives", action="store_true", help="remove every incentive")
    update.add_argument("--no-daily-limits", action="store_true",
                        help="remove the daily limits (before --daily-coupons / --daily-flat-value, which set new ones)")
    update.set_defaults(run=_update)

    commands.add_parser("list", help="list programmes").set_defaults(run=_list)

    rotate = commands.add_parser("rotate-key", help="replace a programme's API key")
    rotate.add_argument("programme")
    rotate.add_argument("--api-key")
    rotate.add_argument("--grace", type=duration, default=timedelta(0),
                        help="how long the old key keeps working (30s, 10m, 1h, 2d; default: stops now)")
    rotate.set_defaults(run=_rotate)

    for name, run, text in (("coupons", _coupons, "print affiliates' coupons"),
                            ("export", _export, "write affiliates' coupons as CSV")):
        command = commands.add_parser(name, help=text)
        command.add_argument("programme")
        command.add_argument("--all", action="store_true", help="also affiliates without a coupon")
        if name == "export":
            command.add_argument("-o", "--output", help="file to write (default: standard output)")
        command.set_defaults(run=run)

    creative = commands.add_parser("creative-add", help="add (or replace) a creative affiliates can use")
    creative.add_argument("programme")
    creative.add_argument("--name", required=True)
    creative.add_argument("--url", required=True, help="http(s) URL of the asset")
    creative.add_argument("--description")
    creative.add_argument("--category", help="e.g. banners, logos, videos")
    creative.add_argument("--width", type=int)
    creative.add_argument("--height", type=int)
    creative.set_defaults(run=_creative_add)

    remove = commands.add_parser("creative-remove", help="remove a creative by its id")
    remove.add_argument("programme")
    remove.add_argument("creative", help="the id creative-add printed (cr_...)")
    remove.set_defaults(run=_creative_remove)

    disable = commands.add_parser("disable", help="disable an affiliate's coupon (checkout refuses it)")
    disable.add_argument("code")
    disable.add_argument("--by", default=os.environ.get("USER") or "admin", help="who disables it (recorded)")
    disable.set_defaults(run=_disable)

"""Brandbassador webshops: ``webshops add | list | rotate-key | set-tracking-key``."""

from __future__ import annotations

import argparse
from datetime import timedelta
from decimal import Decimal

from pydantic import ValidationError

from coupons.brandbassador.webshops import DEFAULT_MAX_GIFT_CARD, PARTNER, WebshopSettings, sealed_tracking_key
from coupons.core import account_items as accounts
from coupons.core import money
from coupons.core.credentials import hash_secret
from coupons.core.errors import InvalidRequest, NotFound
from coupons.core.models import Account
from coupons.core.table import ConditionsFailed, Table
from coupons_admin.durations import duration


def add_webshop(table: Table, webshop_id: str, key: str, settings: WebshopSettings) -> None:
    accounts.put(
        table,
        Account(partner=PARTNER, account_id=webshop_id, secret_hash=hash_secret(key), settings=settings.model_dump()),
    )


def _add(table: Table, args: argparse.Namespace) -> None:
    previous = accounts.get(table, PARTNER, args.webshop)
    try:
        settings = WebshopSettings(
            base_currency=money.require_currency(args.currency),
            extra_currencies=[money.require_currency(c) for c in args.extra_currency],
            uses_per_code=args.uses_per_code,
            valid_days=args.valid_days,
            # Re-adding a webshop keeps the sales-tracking key (as stored) unless a new one is given.
            tracking_key=(sealed_tracking_key(args.webshop, args.tracking_key) if args.tracking_key
                          else previous.settings.get("tracking_key") if previous else None),
            max_gift_card=args.max_gift_card or DEFAULT_MAX_GIFT_CARD,
            daily_codes=args.daily_codes,
            daily_gift_card_value=args.daily_gift_card_value,
        )
    except ValidationError as invalid:
        raise InvalidRequest("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in invalid.errors())) from None
    add_webshop(table, args.webshop, args.key, settings)
    print(f"webshop {args.webshop} saved ({settings.base_currency})")


def _list(table: Table, args: argparse.Namespace) -> None:
    for account in accounts.list_all(table, PARTNER):
        s = WebshopSettings.model_validate(account.settings)
        extra = ",".join(s.extra_currencies) or "-"
        print(f"{account.account_id}\t{s.base_currency}\textra={extra}\tuses={s.uses_per_code or 'unlimited'}"
              f"\tvalid_days={s.valid_days or 'no expiry'}")


def _rotate(table: Table, args: argparse.Namespace) -> None:
    accounts.set_secret(table, PARTNER, args.webshop, hash_secret(args.key), args.grace)
    when = f"in {args.grace}" if args.grace else "now"
    print(f"key of webshop {args.webshop} replaced; the old key stops working {when}")


def set_tracking_key(table: Table, webshop_id: str, key: str) -> None:
    """The key sent with Brandbassador's sales tracking pixel. It must be sent as is, so it cannot
    be hashed like the inbound key: it is stored sealed with KMS, and only the sender opens it."""
    if not _write_tracking_key(table, webshop_id, sealed_tracking_key(webshop_id, key), "attribute_exists(pk)"):
        raise NotFound(f"Unknown webshop {webshop_id!r}; add it first with: webshops add") from None


def reseal_tracking_key(table: Table, webshop_id: str, stored: str) -> bool:
    """Seal a tracking key stored before encryption (``secrets reencrypt``); False when a key was
    set meanwhile (that one is sealed already)."""
    return _write_tracking_key(table, webshop_id, sealed_tracking_key(webshop_id, stored),
                               "settings.tracking_key = :old", {":old": stored})


def _write_tracking_key(table: Table, webshop_id: str, stored: str, condition: str,
                        values: dict[str, str] | None = None) -> bool:
    try:
        table.update(
            Key=table.serialize(accounts.key(PARTNER, webshop_id)),
            # Raises the version like every account write (core.account_items).
            UpdateExpression="SET settings.tracking_key = :k, #version = if_not_exists(#version, :zero) + :one",
            ConditionExpression=condition,
            ExpressionAttributeNames={"#version": "version"},
            ExpressionAttributeValues=table.values({":k": stored, ":zero": 0, ":one": 1, **(values or {})}),
        )
    except ConditionsFailed:
        return False
    return True


def _set_tracking_key(table: Table, args: argparse.Namespace) -> None:
    set_tracking_key(table, args.webshop, args.key)
    print(f"sales with codes of webshop {args.webshop} are tracked with the new key")


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("webshops", help="Brandbassador webshops (key, base currency, defaults)")
    commands = parser.add_subparsers(dest="command", required=True)

    add = commands.add_parser("add", help="add or replace a webshop")
    add.add_argument("webshop", help="webshop id, as in /brandbassador/webshops/{webshop}/codes")
    add.add_argument("--key", required=True, help="the authentication key Brandbassador issued (stored hashed)")
    add.add_argument("--currency", required=True, help="base currency, ISO 4217")
    add.add_argument("--extra-currency", action="append", default=[],
                     help="gift cards only in the base currency and these (default: any ISO 4217 currency)")
    add.add_argument("--uses-per-code", type=int, help="uses a code carries when the request has no u_limit")
    add.add_argument("--valid-days", type=int, help="days a code is valid when the request has no expire (at most 3650)")
    add.add_argument("--tracking-key", help="the key for the sales pixel, stored sealed with KMS "
                                               "(kept from before when not given)")
    add.add_argument("--max-gift-card", type=Decimal,
                     help=f"the largest gift card the webshop's key may create (default {DEFAULT_MAX_GIFT_CARD})")
    add.add_argument("--daily-codes", type=int, help="codes the webshop may create per UTC day (default: no limit)")
    add.add_argument("--daily-gift-card-value", type=Decimal,
                     help="gift-card value the webshop may create per UTC day (default: no limit)")
    add.set_defaults(run=_add)

    commands.add_parser("list", help="list webshops").set_defaults(run=_list)

    rotate = commands.add_parser("rotate-key", help="replace a webshop's key")
    rotate.add_argument("webshop")
    rotate.add_argument("--key", required=True)
    rotate.add_argument("--grace", type=duration, default=timedelta(0),
                        help="how long the old key keeps working (30s, 10m, 1h, 2d; default: stops now)")
    rotate.set_defaults(run=_rotate)

    tracking = commands.add_parser("set-tracking-key", help="the key sent with Brandbassador's sales tracking pixel")
    tracking.add_argument("webshop")
    tracking.add_argument("--key", required=True, help="usually the same key Brandbassador issued for the webshop")
    tracking.set_defaults(run=_set_tracking_key)

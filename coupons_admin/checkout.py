"""The brand's checkout: ``checkout add-key | list-keys | revoke-key | report | set-webhook |
remove-webhook | dead-letters | redrive``."""

from __future__ import annotations

import argparse
import csv
import sys
import urllib.parse
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from coupons.checkout import items as redemption_items
from coupons.checkout.redemptions import PARTNER, new_key_account
from coupons.core import account_items as accounts
from coupons.core import dates, money, outbox
from coupons.core.credentials import new_token
from coupons.core.errors import CouponError, InvalidRequest, NotFound
from coupons.core.models import utcnow
from coupons.core.sales import RedemptionState
from coupons.core.table import Table
from coupons.sales import delivery
from coupons.sales import webhook_items as webhooks

REPORT_COLUMNS = ["partner", "account", "person", "currency", "redemptions", "rolled_back", "revenue", "discounts",
                  "gift_card_amount"]


# ---- checkout keys -----------------------------------------------------------------------------


def add_key(table: Table, name: str, key: str) -> None:
    """Store a checkout key (hashed) under a name people recognise."""
    if any(a.settings.get("name") == name for a in accounts.list_all(table, PARTNER)):
        raise InvalidRequest(f"A checkout key named {name!r} exists; revoke it first or pick another name")
    accounts.put(table, new_key_account(name, key))


def revoke_key(table: Table, name: str) -> None:
    found = [a for a in accounts.list_all(table, PARTNER) if a.settings.get("name") == name]
    if not found:
        raise NotFound(f"No checkout key named {name!r}")
    for account in found:
        table.delete(Key=table.serialize(accounts.key(PARTNER, account.account_id)))


def _add_key(table: Table, args: argparse.Namespace) -> None:
    key = args.key or new_token()
    add_key(table, args.name, key)
    print(f"checkout key {args.name} saved" + ("" if args.key else f"; the key (shown once): {key}"))


def _list_keys(table: Table, args: argparse.Namespace) -> None:
    for account in accounts.list_all(table, PARTNER):
        print(f"{account.settings.get('name')}\tcreated {account.created_at.isoformat()}")


def _revoke_key(table: Table, args: argparse.Namespace) -> None:
    revoke_key(table, args.name)
    print(f"checkout key {args.name} revoked; it stops working now")


# ---- attribution report ------------------------------------------------------------------------


def report(table: Table, first: date, last: date) -> list[dict]:
    """Redemptions (and tracked sales, person empty) with attributed revenue per partner, account,
    person and currency. Revenue is what partners are told: ``paid_goods_total`` (goods after
    discounts, without shipping and tax), less the share partial refunds took back. Rolled-back
    redemptions are counted apart and bring no revenue."""
    groups: dict[tuple, dict] = defaultdict(lambda: {"redemptions": 0, "rolled_back": 0, "revenue": Decimal(0),
                                                      "discounts": Decimal(0), "gift_card_amount": Decimal(0)})
    for r in redemption_items.sales(table, first, last):
        row = groups[(r.owner.partner, r.owner.account, r.owner.person or "", r.cart.currency)]
        if r.state is RedemptionState.ROLLED_BACK:
            row["rolled_back"] += 1
            continue
        row["redemptions"] += 1
        row["revenue"] += r.paid_goods_total - r.refunded_share(r.refunded)
        row["discounts"] += r.goods_discount + r.shipping_discount
        row["gift_card_amount"] += r.gift_card_amount
    rows = []
    for (partner, account, person, currency), sums in sorted(groups.items()):
        rows.append({"partner": partner, "account": account, "person": person, "currency": currency,
                     "redemptions": sums["redemptions"], "rolled_back": sums["rolled_back"],
                     **{k: money.to_wire(sums[k], currency) for k in ("revenue", "discounts", "gift_card_amount")}})
    return rows


def _day(text: str) -> date:
    try:
        return dates.parse_day(text)
    except CouponError as error:
        raise argparse.ArgumentTypeError(error.message) from None


def _report(table: Table, args: argparse.Namespace) -> None:
    last = args.until or utcnow().date()
    first = args.since or last - timedelta(days=29)
    out = open(args.output, "w", newline="") if args.output else sys.stdout  # noqa: SIM115 - closed below, unless stdout
    writer = csv.DictWriter(out, fieldnames=REPORT_COLUMNS)
    writer.writeheader()
    writer.writerows(report(table, first, last))
    if args.output:
        out.close()


# ---- delivery: webhooks, dead letters ----------------------------------------------------------


def store_webhook(table: Table, name: str, url: str, secret: str | None, carries: str) -> str:
    """Store a signed webhook (https only, but make run's local stub); the signing secret is
    returned to be shown once when it was made here, else ""."""
    parts = urllib.parse.urlsplit(url)
    local = parts.hostname in ("127.0.0.1", "localhost")  # make run's partner stub
    if not parts.netloc or not (parts.scheme == "https" or (parts.scheme == "http" and local)):
        raise InvalidRequest(f"The webhook URL must be https:// ({carries} and a signature go there), got {url!r}")
    chosen = secret or new_token()
    webhooks.put(table, name, url, chosen)
    return "" if secret else f"; signing secret (shown once): {chosen}"


def _set_webhook(table: Table, args: argparse.Namespace) -> None:
    if args.partner not in ("sitevibes", "affonso"):
        raise InvalidRequest("Webhooks are for sitevibes and affonso; Brandbassador gets its tracking pixel")
    shown = store_webhook(table, args.partner, args.url, args.secret, "sales")
    print(f"sales of {args.partner} codes are POSTed to {args.url}{shown}")


def _remove_webhook(table: Table, args: argparse.Namespace) -> None:
    webhooks.delete(table, args.partner)
    print(f"webhook of {args.partner} removed")


def _dead_letters(table: Table, args: argparse.Namespace) -> None:
    writer = csv.DictWriter(sys.stdout, fieldnames=list(delivery.summary({"pk": ""})), delimiter="\t")
    writer.writeheader()
    for item in outbox.in_state(table, args.state):
        writer.writerow(delivery.summary(item))


def _redrive(table: Table, args: argparse.Namespace) -> None:
    events = args.event or [item["pk"] for item in outbox.in_state(table, args.state)]
    if not events:
        print(f"nothing to re-drive: no {args.state} events")
    for pk in events:
        ok = outbox.rearm(table, pk, (args.state,))
        print(f"{pk}\t{'queued again' if ok else f'not {args.state}, left alone'}")


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("checkout", help="checkout keys, attribution report, sale delivery")
    commands = parser.add_subparsers(dest="command", required=True)

    add = commands.add_parser("add-key", help="add a checkout key (Authorization: Bearer <key>)")
    add.add_argument("name", help="a name for the key, e.g. the shop system using it")
    add.add_argument("--key", help="the key (default: a new random one, printed once)")
    add.set_defaults(run=_add_key)
    commands.add_parser("list-keys", help="list checkout keys by name").set_defaults(run=_list_keys)
    revoke = commands.add_parser("revoke-key", help="revoke a checkout key")
    revoke.add_argument("name")
    revoke.set_defaults(run=_revoke_key)

    rep = commands.add_parser("report", help="CSV: redemptions and attributed revenue per partner and person")
    rep.add_argument("--since", type=_day, help="first day, yyyy-mm-dd (default: 30 days ago)")
    rep.add_argument("--until", type=_day, help="last day, yyyy-mm-dd (default: today, UTC)")
    rep.add_argument("-o", "--output", help="file to write (default: standard output)")
    rep.set_defaults(run=_report)

    hook = commands.add_parser("set-webhook", help="POST sales of a partner's codes to a URL, signed")
    hook.add_argument("partner", choices=["sitevibes", "affonso"])
    hook.add_argument("--url", required=True)
    hook.add_argument("--secret", help="HMAC-SHA256 signing secret (default: a new random one, printed once)")
    hook.set_defaults(run=_set_webhook)
    unhook = commands.add_parser("remove-webhook", help="stop sending a partner's sales")
    unhook.add_argument("partner", choices=["sitevibes", "affonso"])
    unhook.set_defaults(run=_remove_webhook)

    dead = commands.add_parser("dead-letters", help="sale events that could not be delivered (tab-separated)")
    dead.add_argument("--state", choices=[outbox.DEAD, outbox.SKIPPED, outbox.PENDING], default=outbox.DEAD)
    dead.set_defaults(run=_dead_letters)
    redrive = commands.add_parser("redrive", help="deliver dead, skipped or stuck pending sale events again")
    redrive.add_argument("event", nargs="*", help="event ids as dead-letters lists them (default: all)")
    redrive.add_argument("--state", choices=[outbox.DEAD, outbox.SKIPPED, outbox.PENDING], default=outbox.DEAD,
                         help="pending: events stuck before the queue (never claimed, or a lease long over)")
    redrive.set_defaults(run=_redrive)

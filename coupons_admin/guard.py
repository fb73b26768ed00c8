"""The leak guard (docs/guard.md): ``guard set | show | report | set-webhook | remove-webhook``;
``codes pause | unpause CODE`` call ``pause``/``unpause`` here."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from decimal import Decimal

from coupons.checkout import items as checkout_items
from coupons.core import code_items, codes, money
from coupons.core.errors import NotFound
from coupons.core.models import utcnow
from coupons.core.sales import RedemptionState
from coupons.core.table import Table
from coupons.guard import items, notices, pausing
from coupons.guard.policy import MODES, Policy
from coupons.sales import alerts, webhook_items
from coupons_admin.checkout import store_webhook

THRESHOLDS = {  # option -> (Thresholds field, type, help)
    "--window-days": ("window_days", int, "days of the recent window, today included (default 7)"),
    "--min-excess": ("min_excess", float, "redemptions without ref beyond the code's usual share (default 8)"),
    "--z": ("z", float, "... and that many standard deviations of chance (default 3.5)"),
    "--velocity": ("velocity", float, "recent redemptions / what the code's history predicts (default 3)"),
    "--new-share": ("new_share", float, "share of new customers in the window (default 0.6)"),
    "--min-redemptions": ("min_redemptions", int, "no verdict on fewer recent redemptions (default 10)"),
    "--min-spread": ("min_spread", float, "distinct customers and IPs per redemption below which a leak is only "
                     "flagged (default 0.5)"),
}


def _policy_key(args: argparse.Namespace) -> dict[str, str]:
    if args.code:
        return items.code_policy_key(codes.require_valid(args.code, codes.WITH_HYPHENS))
    return items.policy_key(args.partner, args.account)


def effective(table: Table, partner: str, account: str, code: str | None = None) -> Policy:
    if code:
        found = items.get_policy(table, items.code_policy_key(code), "code")
        if found:
            return found
    return items.get_policy(table, items.policy_key(partner, account), "account") or Policy()


def _set(table: Table, args: argparse.Namespace) -> None:
    key = _policy_key(args)
    current = items.get_policy(table, key, "code" if args.code else "account") or \
        (effective(table, args.partner, args.account) if args.code else Policy())
    changes = {field: getattr(args, field) for field, _, _ in THRESHOLDS.values()}
    policy = current.with_changes(args.mode, **changes)
    items.put_policy(table, key, policy)
    where = f"code {args.code.upper()}" if args.code else f"{args.partner} account {args.account}"
    print(f"guard for {where}: mode {policy.mode}, " + ", ".join(f"{k} {v}" for k, v in asdict(policy.thresholds).items()))


def _show(table: Table, args: argparse.Namespace) -> None:
    code = codes.require_valid(args.code, codes.WITH_HYPHENS) if args.code else None
    policy = effective(table, args.partner, args.account, code)
    for name, value in policy.describe().items():
        print(f"{name}\t{value}")


def report(table: Table) -> list[dict]:
    """Codes the guard flagged or paused: when, which signal, redemptions and discount since."""
    rows = []
    for state in items.acted(table):
        code = state["code"]
        since = min(str(state[k]) for k in ("flagged_at", "paused_at") if state.get(k))
        record, history = checkout_items.code_partition(table, code)
        after = [r for r in history if r.created_at.isoformat() >= since and r.state is RedemptionState.REDEEMED]
        currency = after[0].cart.currency if after else None
        discount = sum((r.discount + r.shipping_discount for r in after), Decimal(0))
        rows.append({
            "code": code, "partner": state.get("partner"), "account": state.get("account"),
            "flagged_at": state.get("flagged_at"), "flag_signal": state.get("flag_signal"),
            "paused_at": state.get("paused_at"), "pause_signal": state.get("pause_signal"),
            "paused_now": "yes" if record is not None and record.paused_at is not None else "no",
            "released_at": state.get("released_at"), "redemptions_since": len(after),
            "discount_since": f"{money.to_wire(discount, currency)} {currency}" if currency else "0",
        })
    return rows


def _report(table: Table, args: argparse.Namespace) -> None:
    rows = report(table)
    columns = ["code", "partner", "account", "flagged_at", "flag_signal", "paused_at", "pause_signal", "paused_now",
               "released_at", "redemptions_since", "discount_since"]
    print("\t".join(columns))
    for row in rows:
        print("\t".join(str(row[c]) if row[c] is not None else "-" for c in columns))
    if not rows:
        print("no code flagged or paused", file=sys.stderr)


def pause(table: Table, code: str) -> bool:
    return pausing.pause(table, codes.require_valid(code, codes.WITH_HYPHENS), "admin", utcnow())


def unpause(table: Table, code: str) -> bool:
    """Unpause ``code`` (the code item is exactly as before the pause) and tell the guard an admin
    released it: the same evidence does not pause it again (docs/guard.md)."""
    code = codes.require_valid(code, codes.WITH_HYPHENS)
    record = code_items.get(table, code, consistent=True)
    if record is None:
        raise NotFound(f"No code {code}")
    owner = record.owner
    at = utcnow()
    body = {"partner": owner.partner, "account": owner.account, "person": owner.person}
    # One transaction: the pause removed, released_at, and code.unpaused queued for whoever heard of the pause.
    return items.release(table, code, at, notices.puts(table, code, "released", at, body))


def _set_webhook(table: Table, args: argparse.Namespace) -> None:
    shown = store_webhook(table, alerts.GUARD_WEBHOOK, args.url, args.secret, "alerts")
    print(f"code.leak_suspected, code.paused and code.unpaused are POSTed to {args.url}{shown}")


def _remove_webhook(table: Table, args: argparse.Namespace) -> None:
    webhook_items.delete(table, alerts.GUARD_WEBHOOK)
    print("guard webhook removed")


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("guard", help="leak guard: policies per partner account or code, report")
    commands = parser.add_subparsers(dest="command", required=True)
    setting = commands.add_parser("set", help="set the guard's mode and thresholds for an account (or one code)")
    setting.add_argument("partner", help="brandbassador, sitevibes, affonso, friendbuy")
    setting.add_argument("account", help="webshop, reward, programme or campaign id")
    setting.add_argument("--mode", choices=MODES, help="off: count only; flag: webhook; pause: also refuse the code")
    setting.add_argument("--code", help="override for this one code of the account")
    for option, (field, kind, text) in THRESHOLDS.items():
        setting.add_argument(option, dest=field, type=kind, help=text)
    setting.set_defaults(run=_set)
    show = commands.add_parser("show", help="the policy in force for an account (or one code)")
    show.add_argument("partner")
    show.add_argument("account")
    show.add_argument("--code")
    show.set_defaults(run=_show)
    commands.add_parser("report", help="codes flagged or paused: when, which signal, discount since"
                        ).set_defaults(run=_report)
    hook = commands.add_parser("set-webhook", help="POST code.leak_suspected / code.paused to the brand, signed")
    hook.add_argument("--url", required=True)
    hook.add_argument("--secret", help="HMAC-SHA256 signing secret (default: a new random one, printed once)")
    hook.set_defaults(run=_set_webhook)
    commands.add_parser("remove-webhook", help="stop sending the guard's webhooks").set_defaults(run=_remove_webhook)

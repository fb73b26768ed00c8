"""SiteVibes rewards: ``rewards add | update | list | rotate-secret | codes | export | redemptions``."""

from __future__ import annotations

import argparse
import csv
import getpass
import re
import sys
from datetime import date, timedelta
from decimal import Decimal

from pydantic import ValidationError

from coupons.core import account_items as accounts
from coupons.core import code_items, money
from coupons.core.credentials import hash_secret
from coupons.core.errors import InvalidRequest
from coupons.core.models import Account, Discount, DiscountKind, utcnow
from coupons.core.table import Table
from coupons.sitevibes import items as claim_items
from coupons.sitevibes.rewards import MAX_DAILY_REDEMPTIONS, PARTNER, REWARD_ID, CodePattern, RewardSettings
from coupons_admin.codes import COLUMNS, rows
from coupons_admin.durations import duration


def add_reward(table: Table, reward_id: str, secret: str, settings: RewardSettings,
               replacing: Account | None = None) -> None:
    """Create or replace a reward; ``replacing`` (the reward as read) replaces it only if nobody
    changed it since (``account_items.save``)."""
    if not REWARD_ID.fullmatch(reward_id):
        raise InvalidRequest(f"Reward id {reward_id!r}: use 1 to 64 letters, digits, '-' or '_'")
    if not secret or secret != secret.strip() or not secret.isprintable():
        # HTTP trims header values, and the service compares what arrives: such a secret could never match.
        raise InvalidRequest("The header's secret must be non-empty printable text without leading or trailing spaces")
    account = Account(partner=PARTNER, account_id=reward_id, secret_hash=hash_secret(secret),
                      settings=settings.model_dump())
    if replacing is None:
        accounts.put(table, account)
    else:
        accounts.save(table, account.model_copy(update={"version": replacing.version,
                                                        "created_at": replacing.created_at}))


def _secret(args: argparse.Namespace) -> str:
    # Prompted for when not given, so it need not sit in the shell's history.
    return args.secret if args.secret is not None else getpass.getpass(f"value of the {args.header} header: ")


def _settings(args: argparse.Namespace) -> RewardSettings:
    if args.no_code:
        discount = None
    elif args.percent is not None:
        discount = Discount(kind=DiscountKind.PERCENT, value=money.parse_amount(args.percent, "percentage"))
    elif args.amount is not None:
        if not args.currency:
            raise InvalidRequest("A fixed amount off needs --currency")
        currency = money.require_currency(args.currency)
        discount = Discount(kind=DiscountKind.FIXED, value=money.parse_amount(args.amount, "amount", currency),
                            currency=currency)
    else:
        discount = Discount(kind=DiscountKind.FREE_SHIPPING)
    return RewardSettings(
        header_name=args.header,
        gives_code=not args.no_code,
        discount=discount,
        max_uses=None if args.unlimited_uses else args.uses,
        expires_on=date.fromisoformat(args.expires_on) if args.expires_on else None,
        valid_days=args.valid_days,
        pattern=CodePattern(prefix=args.prefix, length=args.length, alphabet=args.alphabet or CodePattern().alphabet),
        retry_window_seconds=retry_window(args.retry_window),
        daily_redemptions=daily_redemptions(args.daily_redemptions),
        daily_value=daily_value(args.daily_value, discount),
    )


NO_LIMIT = "none"


def daily_redemptions(text: str | None) -> int | None:
    """``--daily-redemptions``: a whole number, or ``none`` (no limit). Its bounds are the settings'."""
    if text is None or text.strip().lower() == NO_LIMIT:
        return None
    if not text.strip().isascii() or not text.strip().isdigit():
        raise InvalidRequest(f"--daily-redemptions {text!r}: give a whole number of redemptions a day, or none")
    return int(text)


def daily_value(text: str | None, discount: Discount | None) -> Decimal | None:
    """``--daily-value``: an amount in the reward's currency (its decimals), or ``none`` (no limit)."""
    if text is None or text.strip().lower() == NO_LIMIT:
        return None
    return money.parse_amount(text.strip(), "daily value", discount.currency if discount else None)


def retry_window(text: str | None) -> int:
    """Seconds from ``30``, ``30s`` or ``2m`` (none: 0, no window)."""
    found = re.fullmatch(r"\s*(\d{1,6})\s*([sm]?)\s*", text or "0")
    if not found:
        raise InvalidRequest(f"--retry-window {text!r}: give seconds like 30s, or minutes like 2m")
    return int(found[1]) * (60 if found[2] == "m" else 1)


def _add(table: Table, args: argparse.Namespace) -> None:
    try:
        settings = _settings(args)
    except (ValidationError, ValueError) as problem:
        raise InvalidRequest(f"reward {args.reward} not saved: {_reason(problem)}") from None
    if settings.expires_on is not None and settings.expires_on < utcnow().date():
        raise InvalidRequest(f"reward {args.reward} not saved: the expiry date {settings.expires_on} is in the past")
    add_reward(table, args.reward, _secret(args), settings)
    print(f"reward {args.reward} saved: {describe(settings)}")


def _reason(problem: Exception) -> str:
    if isinstance(problem, ValidationError):
        return "; ".join(
            ": ".join(filter(None, [".".join(map(str, e["loc"])), e["msg"].removeprefix("Value error, ")]))
            for e in problem.errors()
        )
    return str(problem)


def describe(settings: RewardSettings) -> str:
    """One line a person reads: what the reward gives and how its codes look."""
    parts = [f"header={settings.header_name}"]
    d = settings.discount
    if not settings.gives_code or d is None:  # a reward that gives a code always has a discount
        parts.append("no code")
    else:
        if d.kind is DiscountKind.PERCENT:
            gives = f"{d.value}% off"
        elif d.kind is DiscountKind.FIXED:
            gives = f"{money.to_wire(Decimal(d.value or 0))} {d.currency} off"
        else:
            gives = "free shipping"
        p = settings.pattern
        parts += [
            gives,
            "single use" if settings.max_uses == 1 else f"uses={settings.max_uses or 'unlimited'}",
            f"expires={settings.expires_on}" if settings.expires_on
            else f"valid_days={settings.valid_days}" if settings.valid_days else "no expiry",
            f"pattern={p.prefix}+{p.length}x[{p.alphabet}]",
        ]
    parts.append(f"retry_window={settings.retry_window_seconds}s" if settings.retry_window_seconds
                 else "new code every request")
    limits = []
    if settings.daily_redemptions is not None:
        limits.append(f"{settings.daily_redemptions} redemptions")
    if settings.daily_value is not None and d is not None:
        limits.append(f"{money.to_wire(settings.daily_value, d.currency)} {d.currency}")
    parts.append(f"daily_limit={' and '.join(limits)}" if limits else "no daily limit")
    return "\t".join(parts)


def _update(table: Table, args: argparse.Namespace) -> None:
    """Change a reward's daily limits, keeping its secret and its other settings."""
    account = accounts.get(table, PARTNER, args.reward)
    if account is None:
        raise InvalidRequest(f"Unknown reward {args.reward!r}; add it first with: rewards add")
    settings = RewardSettings.model_validate(account.settings)
    changes: dict = {}
    if args.daily_redemptions is not None:
        changes["daily_redemptions"] = daily_redemptions(args.daily_redemptions)
    if args.daily_value is not None:
        changes["daily_value"] = daily_value(args.daily_value, settings.discount)
    if not changes:
        raise InvalidRequest("Nothing to change: give --daily-redemptions and/or --daily-value")
    try:
        settings = RewardSettings.model_validate({**settings.model_dump(), **changes})
    except ValidationError as problem:
        raise InvalidRequest(f"reward {args.reward} not changed: {_reason(problem)}") from None
    # Saved at the version read above: an edit or key rotation in between fails loudly, undoes nothing.
    accounts.save(table, account.model_copy(update={"settings": settings.model_dump()}))
    print(f"reward {args.reward} updated: {describe(settings)}")


def _list(table: Table, args: argparse.Namespace) -> None:
    for account in accounts.list_all(table, PARTNER):
        print(f"{account.account_id}\t{describe(RewardSettings.model_validate(account.settings))}")


def _rotate(table: Table, args: argparse.Namespace) -> None:
    account = accounts.get(table, PARTNER, args.reward)
    if account is None:
        raise InvalidRequest(f"Unknown reward {args.reward!r}")
    settings = RewardSettings.model_validate(account.settings)
    if args.grace and args.header and args.header != settings.header_name:
        raise InvalidRequest("A grace period keeps the old secret in the same header; rotate the secret first, "
                             "then change the header")
    if args.grace:
        accounts.set_secret(table, PARTNER, args.reward, hash_secret(_secret(args)), args.grace)
        print(f"secret of reward {args.reward} replaced; the old one stops working in {args.grace}")
        return
    if args.header:
        try:
            settings = RewardSettings.model_validate({**settings.model_dump(), "header_name": args.header})
        except ValidationError as problem:
            raise InvalidRequest(f"reward {args.reward} not changed: {_reason(problem)}") from None
    args.header = settings.header_name
    add_reward(table, args.reward, _secret(args), settings, replacing=account)
    print(f"header of reward {args.reward} is now {settings.header_name} with the new secret; the old one stops working now")


def _codes(table: Table, args: argparse.Namespace) -> None:
    for row in rows(code_items.list_by_owner(table, PARTNER, args.reward)):
        print("\t".join(str(row[c]) if row[c] is not None else "-" for c in COLUMNS[:12]))


def _export(table: Table, args: argparse.Namespace) -> None:
    out = open(args.output, "w", newline="") if args.output else sys.stdout  # noqa: SIM115 - closed below, unless stdout
    try:
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows(code_items.list_by_owner(table, PARTNER, args.reward)))
    finally:
        if args.output:
            out.close()


def _redemptions(table: Table, args: argparse.Namespace) -> None:
    """Every redemption of the reward, oldest first: the codes it issued and those without a code."""
    found = [(r.created_at.isoformat(), r.owner.person or "-", r.code)
             for r in code_items.list_by_owner(table, PARTNER, args.reward)]
    found += [(str(r["issued_at"]), r["person"], "(no code)") for r in claim_items.list_codeless(table, args.reward)]
    for issued_at, person, code in sorted(found):
        print(f"{issued_at}\t{person}\t{code}")


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("rewards", help="SiteVibes rewards (header auth, what the code gives, code pattern)")
    commands = parser.add_subparsers(dest="command", required=True)

    add = commands.add_parser("add", help="add or replace a reward",
                              description="The endpoint to give SiteVibes is <api>/sitevibes/rewards/<reward>/coupons.")
    add.add_argument("reward", help="reward id, as in /sitevibes/rewards/{reward}/coupons")
    add.add_argument("--header", required=True, help="request header SiteVibes sends, e.g. X-Api-Key or Authorization")
    add.add_argument("--secret", help="that header's exact value, e.g. 'Bearer abc...' (stored hashed; prompted if absent)")
    gives = add.add_mutually_exclusive_group(required=True)
    gives.add_argument("--percent", help="percent off, e.g. 10")
    gives.add_argument("--amount", help="fixed amount off, e.g. 5.00 (with --currency)")
    gives.add_argument("--free-shipping", action="store_true", help="free shipping")
    gives.add_argument("--no-code", action="store_true", help='reward without a code: answer {"coupon_code": ""}')
    add.add_argument("--currency", help="currency of --amount, ISO 4217")
    uses = add.add_mutually_exclusive_group()
    uses.add_argument("--uses", type=int, default=1, help="uses per code (default 1: single use)")
    uses.add_argument("--unlimited-uses", action="store_true", help="multi use without a limit")
    expiry = add.add_mutually_exclusive_group()
    expiry.add_argument("--expires-on", help="fixed last valid day, yyyy-mm-dd")
    expiry.add_argument("--valid-days", type=int, help="days a code is valid from its redemption")
    add.add_argument("--prefix", default="", help="code prefix, A-Z and 0-9 (e.g. SV)")
    add.add_argument("--length", type=int, default=8, help="random characters after the prefix (default 8)")
    add.add_argument("--alphabet", help="characters to draw from (default: A-Z and 2-9 without look-alikes)")
    add.add_argument("--retry-window", default="0",
                     help="opt-in: within this time (30s, 2m) the same email gets its earlier code back instead "
                          "of a new one; SiteVibes refuses a code it has seen, so a real second redemption in "
                          "the window is lost (default 0: every request gets a new code)")
    add.add_argument("--daily-redemptions", metavar="N",
                     help=f"abuse limit: redemptions per UTC day, 1 to {MAX_DAILY_REDEMPTIONS:,} (default: none, "
                          "no limit); over it SiteVibes gets 429 and nothing is issued")
    add.add_argument("--daily-value", metavar="AMOUNT",
                     help="abuse limit for a fixed-amount reward (--amount): the face value of the codes issued per "
                          "UTC day, in --currency, at least one code's amount (default: none, no limit)")
    add.set_defaults(run=_add)

    update = commands.add_parser("update", help="change a reward's daily limits (secret and other settings kept)")
    update.add_argument("reward")
    update.add_argument("--daily-redemptions", metavar="N|none", help="redemptions per UTC day; none: no limit")
    update.add_argument("--daily-value", metavar="AMOUNT|none",
                        help="face value of the codes per UTC day (fixed-amount rewards); none: no limit")
    update.set_defaults(run=_update)

    commands.add_parser("list", help="list rewards and their settings").set_defaults(run=_list)

    rotate = commands.add_parser("rotate-secret", help="replace a reward's header secret (and optionally its name)")
    rotate.add_argument("reward")
    rotate.add_argument("--header", help="new header name (default: keep)")
    rotate.add_argument("--secret", help="the header's new value (prompted if absent)")
    rotate.add_argument("--grace", type=duration, default=timedelta(0),
                        help="how long the old secret keeps working (30s, 10m, 1h, 2d; default: stops now)")
    rotate.set_defaults(run=_rotate)

    codes = commands.add_parser("codes", help="print the codes a reward issued")
    codes.add_argument("reward")
    codes.set_defaults(run=_codes)

    export = commands.add_parser("export", help="write the codes a reward issued as CSV")
    export.add_argument("reward")
    export.add_argument("-o", "--output", help="file to write (default: standard output)")
    export.set_defaults(run=_export)

    redemptions = commands.add_parser("redemptions", help="every redemption: who, when, which code (or none)")
    redemptions.add_argument("reward")
    redemptions.set_defaults(run=_redemptions)

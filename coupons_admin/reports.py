"""Finance reports: ``reports gift-cards [--as-of DAY] [--format csv|json]`` (gift-card liability
per currency) and ``reports partners --from DAY --to DAY [--entries]`` (the partner ledger).
Figures: ``coupons.core.ledger``; reads: ``coupons.checkout.report_items`` (one Scan)."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import date, timedelta
from decimal import Decimal

from coupons.affonso.programmes import load_programme
from coupons.checkout import report_items
from coupons.core import dates, ledger
from coupons.core.errors import CouponError, InvalidRequest
from coupons.core.models import utcnow
from coupons.core.sales import Redemption
from coupons.core.table import Table


def _day(text: str) -> date:
    try:
        return dates.parse_day(text)
    except CouponError as error:
        raise argparse.ArgumentTypeError(error.message) from None


def _write(rows: list[dict], columns: list[str], form: str) -> None:
    if form == "json":
        json.dump(rows, sys.stdout, indent=1)
        print()
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


def gift_cards(table: Table, as_of: date) -> list[dict]:
    return ledger.liability([card.moves() for card in report_items.scan(table).cards], as_of)


def _commission_of(table: Table) -> ledger.Commission:
    """Affonso programmes' commission terms; other partners have none here."""
    terms: dict[str, object] = {}

    def commission(sale: Redemption, paid: Decimal) -> Decimal | None:
        if sale.owner.partner != "affonso":
            return None
        if sale.owner.account not in terms:
            terms[sale.owner.account] = load_programme(table, sale.owner.account)
        programme = terms[sale.owner.account]
        settings = getattr(programme, "settings", None)
        if settings is None or settings.rewards is None:
            return None
        return settings.rewards.commission(paid, sale.cart.currency, settings.totals_currency)

    return commission


def partner_entries(table: Table, first: date, last: date) -> list[ledger.Entry]:
    if last < first:
        raise InvalidRequest("--to is before --from")
    found = report_items.scan(table)
    return ledger.entries(found.sales, found.refunds, first, last, _commission_of(table))


def _gift_cards(table: Table, args: argparse.Namespace) -> None:
    _write(gift_cards(table, args.as_of or utcnow().date()), ledger.LIABILITY_COLUMNS, args.format)


def _name_cards(table: Table, args: argparse.Namespace) -> None:
    print(f"{report_items.name_cards(table)} gift cards named (card_ref) or given ledger items")


def _partners(table: Table, args: argparse.Namespace) -> None:
    today = utcnow().date()
    found = partner_entries(table, args.since or today - timedelta(days=30), args.until or today)
    if args.entries:
        rows = [{"kind": e.kind, "redemption_id": e.redemption_id, "at": e.at.isoformat(), "partner": e.partner,
                 "account": e.account, "person": e.person, "currency": e.currency,
                 "paid_goods_total": str(e.paid_goods_total),
                 "commission": "" if e.commission is None else str(e.commission)} for e in found]
        _write(rows, list(rows[0]) if rows else ["kind"], args.format)
        return
    _write(ledger.ledger(found), ledger.LEDGER_COLUMNS, args.format)


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("reports", help="finance: gift-card liability, partner ledger")
    commands = parser.add_subparsers(dest="command", required=True)
    cards = commands.add_parser("gift-cards", help="gift-card liability per currency: issued, spent, refunded, "
                                                   "expired, outstanding")
    cards.add_argument("--as-of", type=_day, help="at the end of this UTC day, yyyy-mm-dd (default: today)")
    cards.add_argument("--format", choices=["csv", "json"], default="csv")
    cards.set_defaults(run=_gift_cards)
    name = commands.add_parser("name-cards", help="give gift cards stored before the card ledger their "
                                                  "card_ref and ledger items (once, for GET /checkout/reports/gift-cards)")
    name.set_defaults(run=_name_cards)
    partners = commands.add_parser("partners", help="per partner, account, person and currency: sales, "
                                                    "refunds, net, commission")
    partners.add_argument("--from", dest="since", type=_day, help="first UTC day (default: 30 days ago)")
    partners.add_argument("--to", dest="until", type=_day, help="last UTC day (default: today)")
    partners.add_argument("--entries", action="store_true", help="list each sale and reversal entry instead")
    partners.add_argument("--format", choices=["csv", "json"], default="csv")
    partners.set_defaults(run=_partners)

"""Friendbuy referrals: ``referrals export`` (one CSV row per advocate: conversions, revenue)."""

from __future__ import annotations

import argparse
import csv
import sys

from coupons.core.table import Table
from coupons.friendbuy import referrals

COLUMNS = ["referral_code", "campaign_id", "customer_id", "email", "first_name", "last_name", "coupon_code",
           "bank_id", "conversions", "revenue", "created_at"]


def _export(table: Table, args: argparse.Namespace) -> None:
    out = open(args.output, "w", newline="") if args.output else sys.stdout  # noqa: SIM115 - closed below, unless stdout
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for r in referrals.of_campaign(table, args.campaign):
        row = r.model_dump(include=set(COLUMNS))
        # Revenue per currency, e.g. "EUR 120.00; USD 35.50".
        row["revenue"] = "; ".join(f"{cur} {amount:.2f}" for cur, amount in sorted(r.revenue.items()))
        row["created_at"] = r.created_at.isoformat()
        writer.writerow(row)
    if args.output:
        out.close()


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("referrals", help="Friendbuy advocates and their attribution (CSV export)")
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="one row per advocate of a campaign: coupon, conversions, revenue")
    export.add_argument("campaign")
    export.add_argument("-o", "--output", help="file to write (default: standard output)")
    export.set_defaults(run=_export)

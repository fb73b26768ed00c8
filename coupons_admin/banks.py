"""Friendbuy coupon banks: ``banks add | upload | generate | status | export``.

Upload and generation stream their input and write 100 codes per transaction (one item per
code), several transactions in parallel; each code is refused if it exists anywhere already (reported line by
line on standard output). Interrupted? Run the same command again: what is in the bank already
counts as "already present", nothing is written twice.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from datetime import date
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError

from coupons.core import codes, money
from coupons.core.models import Discount, DiscountKind
from coupons.core.table import Table
from coupons.friendbuy import bank_items, banks, campaigns, referrals
from coupons.friendbuy.banks import BankSettings
from coupons_admin import bank_loading
from coupons_admin.bank_loading import LoadReport


class ProgressLine:
    """One self-rewriting line on standard error: done / total, the three counts, codes per second."""

    def __init__(self, total: int | None, out: TextIO | None = None):
        self.total, self.out = total, out or sys.stderr
        self.start = self.last = time.monotonic()

    def __call__(self, report: LoadReport) -> None:
        now = time.monotonic()
        if now - self.last >= 0.2:
            self.last = now
            self._draw(report, "\r")

    def finish(self, report: LoadReport) -> None:
        self._draw(report, "\r")
        self.out.write("\n")

    def _draw(self, report: LoadReport, prefix: str) -> None:
        elapsed = max(time.monotonic() - self.start, 1e-9)
        done = f"{report.seen:,}" + (f" / {self.total:,} ({100 * report.seen / self.total:.0f} %)" if self.total else "")
        self.out.write(f"{prefix}{done}  added {report.added:,}  already present {report.already_present:,}  "
                       f"rejected {len(report.rejected):,}  {report.seen / elapsed:,.0f} codes/s ")
        self.out.flush()


def _print_rejected(line: int, code: str, why: str) -> None:
    print(f"line {line}: {code}: {why}", flush=True)


def _summary(report: LoadReport) -> None:
    print(f"added {report.added}, rejected {len(report.rejected)}, already present {report.already_present}")


def _add(table: Table, args: argparse.Namespace) -> None:
    kind = DiscountKind(args.kind)
    value = money.parse_amount(args.value, "discount value") if args.value else None
    currency = money.require_currency(args.currency) if args.currency else None
    try:
        settings = BankSettings(
            campaign_id=args.campaign, discount=Discount(kind=kind, value=value, currency=currency),
            max_uses=args.max_uses, expires_on=date.fromisoformat(args.expires_on) if args.expires_on else None,
            name=args.name, shards=args.shards, prefix=args.prefix, length=args.length,
            alphabet=args.alphabet or codes.UNAMBIGUOUS_ALPHABET,
        )
    except (ValidationError, ValueError) as bad:  # pydantic's, or a date that is not yyyy-mm-dd
        sys.exit(f"coupons-admin: {bad}")
    campaigns.get_campaign(table, args.campaign)  # NotFound for a campaign that does not exist
    banks.add_bank(table, args.bank, settings)
    print(f"bank {args.bank} saved for campaign {args.campaign}: {_gives(settings)}")


def _gives(s: BankSettings) -> str:
    d = s.discount
    what = {"percent": f"{d.value} % off", "fixed": f"{d.value} {d.currency} off", "free_shipping": "free shipping"}[d.kind.value]
    uses = f"{s.max_uses} uses per code" if s.max_uses else "unlimited uses per code"
    return f"{what}, {uses}" + (f", until {s.expires_on}" if s.expires_on else "")


def _upload(table: Table, args: argparse.Namespace) -> None:
    bank = banks.get_bank(table, args.bank)
    path = None if args.file == "-" else Path(args.file)
    total = None
    if path is not None:
        with path.open("rb") as counting:  # one quick pass for the progress bar's total
            total = sum(1 for _ in counting)
    source = sys.stdin if path is None else path.open(encoding="utf-8-sig", newline="")
    progress = ProgressLine(total)
    try:
        report = bank_loading.upload(table, bank, source, workers=args.workers, progress=progress, rejected=_print_rejected)
    finally:
        if path is not None:
            source.close()
    progress.finish(report)
    _summary(report)


def _generate(table: Table, args: argparse.Namespace) -> None:
    bank = banks.get_bank(table, args.bank)
    if bank.pending_run:
        print(f"resuming the unfinished generation of {bank.pending_run['count']:,} codes", file=sys.stderr)
    progress = ProgressLine(args.count)
    report = bank_loading.generate(table, bank, args.count, workers=args.workers, progress=progress, rejected=_print_rejected)
    progress.finish(report)
    _summary(report)


def _status(table: Table, args: argparse.Namespace) -> None:
    st = banks.status(table, args.bank)
    s = st.bank.settings
    print(f"bank {st.bank.id} (campaign {s.campaign_id}): {_gives(s)}")
    print(f"codes left: {st.free}")
    print(f"codes loaded: {st.bank.loaded}")
    if st.bank.pending_run:
        print(f"unfinished generation of {st.bank.pending_run['count']} codes: run `banks generate {st.bank.id} "
              f"--count {st.bank.pending_run['count']}` to finish it")


def _export(table: Table, args: argparse.Namespace) -> None:
    """The bank's codes as Friendbuy's code-bank upload takes them (support.friendbuy.com, "How to Add
    Codes to an Existing Code Bank": a CSV or TXT file, one code a line in the first column, no header),
    so generate-here-upload-there is two commands."""
    bank = banks.get_bank(table, args.bank)
    if args.output == "-":
        count = _write_codes(table, bank, sys.stdout, args.format)
    else:
        with Path(args.output).open("w", encoding="utf-8", newline="") as out:
            count = _write_codes(table, bank, out, args.format)
    print(f"exported {count} codes of bank {bank.id}", file=sys.stderr)


def _write_codes(table: Table, bank: banks.Bank, out: TextIO, style: str) -> int:
    ending = "\r\n" if style == "friendbuy" else "\n"  # CSV's line ending (RFC 4180)
    count = 0
    # The bank's free codes (its sharded pool on gsi1), then those already given to advocates (the
    # campaign's referrals): a bank code is not listed per owner (see friendbuy.bank_items).
    free = bank_items.free_codes_all(table, bank.id, bank.settings.shards)
    given = (r.coupon_code for r in referrals.of_campaign(table, bank.settings.campaign_id)
             if r.bank_id == bank.id and r.coupon_code)
    for code in itertools.chain(free, given):
        out.write(f"{code}{ending}")
        count += 1
    return count


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("banks", help="Friendbuy coupon banks (add, upload, generate, status)")
    commands = parser.add_subparsers(dest="command", required=True)

    add = commands.add_parser("add", help="add a bank to a campaign: what each of its codes gives")
    add.add_argument("bank", help="bank id, as partners send it in coupon_bank_id.id (e.g. 9900)")
    add.add_argument("--campaign", required=True)
    add.add_argument("--kind", default="percent", choices=["percent", "fixed", "free_shipping"])
    add.add_argument("--value", help="percent off, or the amount off for --kind fixed (e.g. 10 or 5.00)")
    add.add_argument("--currency", help="currency of a fixed discount (ISO 4217)")
    add.add_argument("--max-uses", type=int, help="uses per code (default: unlimited, a shareable code)")
    add.add_argument("--expires-on", help="last valid day of the codes, yyyy-mm-dd")
    add.add_argument("--name")
    add.add_argument("--shards", type=int, default=16, help="free-pool index partitions (default 16, enough for a "
                     "10,000 codes/s load: each takes ~1,000 writes/s on AWS)")
    add.add_argument("--prefix", default="", help="generated codes start with this")
    add.add_argument("--length", type=int, default=8, help="generated characters after the prefix (default 8)")
    add.add_argument("--alphabet", help=f"characters of generated codes (default {codes.UNAMBIGUOUS_ALPHABET})")
    add.set_defaults(run=_add)

    upload = commands.add_parser("upload", help="load codes from a file: one a line, or CSV with the code first")
    upload.add_argument("bank")
    upload.add_argument("file", help="the file, or - for standard input")
    upload.add_argument("--workers", type=int, default=8, help="transactions in flight (default 8)")
    upload.set_defaults(run=_upload)

    generate = commands.add_parser("generate", help="add COUNT new codes from the bank's pattern")
    generate.add_argument("bank")
    generate.add_argument("--count", type=int, required=True)
    generate.add_argument("--workers", type=int, default=8, help="transactions in flight (default 8)")
    generate.set_defaults(run=_generate)

    export = commands.add_parser("export", help="write the bank's codes as Friendbuy's code-bank upload takes them")
    export.add_argument("bank")
    export.add_argument("-o", "--output", default="-", help="file to write (default: standard output)")
    export.add_argument("--format", choices=["friendbuy", "lines"], default="friendbuy",
                        help="friendbuy: CSV, one code a line, no header (default); lines: plain text")
    export.set_defaults(run=_export)

    status = commands.add_parser("status", help="what a code gives, and how many codes are left")
    status.add_argument("bank")
    status.set_defaults(run=_status)



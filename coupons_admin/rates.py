"""Exchange rates the brand controls: ``rates set | list | import | refresh``.

``rates set EUR USD 1.0832`` means 1 EUR = 1.0832 USD (the reverse is derived; other pairs cross
through EUR). ``rates import FILE`` reads the ECB's ``eurofxref-daily.xml`` or a CSV
``base,quote,rate,date``; the whole file is checked first and stored in one transaction, so a bad
or partial file changes nothing."""

from __future__ import annotations

import argparse
from pathlib import Path

from coupons.core import money, rate_items, rate_refresh, rates
from coupons.core.errors import InvalidRequest
from coupons.core.models import utcnow
from coupons.core.table import Table


def _print(found: list[rates.Rate]) -> None:
    print("base\tquote\trate\tdate\tsource")
    for r in sorted(found, key=lambda r: r.pair):
        print(f"{r.base}\t{r.quote}\t{r.rate}\t{r.rate_date.isoformat()}\t{r.source}")


def _set(table: Table, args: argparse.Namespace) -> None:
    rate = rates.new_rate(args.base, args.quote, args.rate, args.date or utcnow().date())
    rate_items.put_all(table, [rate])
    print(f"1 {rate.base} = {rate.rate} {rate.quote} (of {rate.rate_date.isoformat()}) saved")


def _list(table: Table, args: argparse.Namespace) -> None:
    _print(list(rate_items.list_all(table)))


def read_file(path: Path) -> list[rates.Rate]:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InvalidRequest(f"Cannot read {path}: {error.strerror}") from None
    if data.lstrip().startswith(b"<"):
        return rates.parse_ecb_xml(data)
    try:
        return rates.parse_csv(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InvalidRequest(f"{path} is neither ECB XML nor UTF-8 CSV") from None


def _import(table: Table, args: argparse.Namespace) -> None:
    stored = rate_items.put_all(table, read_file(Path(args.file)))
    print(f"{len(stored)} rates imported")
    _print(stored)


def _refresh(table: Table, args: argparse.Namespace) -> None:
    stored = rate_refresh.refresh(table, args.url)
    print(f"{len(stored)} rates imported from {args.url}")


def _convert(table: Table, args: argparse.Namespace) -> None:
    base, quote = money.require_currency(args.base), money.require_currency(args.quote)
    found = rate_items.lookup(table, base, quote)
    if found is None:
        raise InvalidRequest(f"No rate derives 1 {base} in {quote}")
    print(f"1 {base} = {found.rate} {quote} (of {found.rate_date}; from "
          f"{', '.join(f'{r.base}/{r.quote}' for r in found.legs) or 'identity'})")


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("rates", help="exchange rates for gift cards and fixed codes in other currencies")
    commands = parser.add_subparsers(dest="command", required=True)
    put = commands.add_parser("set", help="set 1 BASE = RATE QUOTE (e.g. rates set EUR USD 1.0832)")
    put.add_argument("base")
    put.add_argument("quote")
    put.add_argument("rate")
    put.add_argument("--date", help="the rate's date, yyyy-mm-dd (default: today, UTC)")
    put.set_defaults(run=_set)
    commands.add_parser("list", help="the stored rates (tab-separated)").set_defaults(run=_list)
    imp = commands.add_parser("import", help="import the ECB's eurofxref-daily.xml or a CSV base,quote,rate,date")
    imp.add_argument("file")
    imp.set_defaults(run=_import)
    ref = commands.add_parser("refresh", help="fetch the ECB daily XML from a URL and import it")
    ref.add_argument("--url", default=rate_refresh.ECB_DAILY_URL)
    ref.set_defaults(run=_refresh)
    show = commands.add_parser("show", help="the rate a checkout would use for 1 BASE in QUOTE")
    show.add_argument("base")
    show.add_argument("quote")
    show.set_defaults(run=_convert)

"""Exchange rates the brand controls: what they say, where they come from, how money converts.

Any pair not stored is derived (reverse, or a cross rate through EUR), never guessed; conversions
use the rate exactly as written, and a stale rate is refused (docs/money.md, "Exchange rates" and
"Gift cards and fixed codes in another currency")."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import ROUND_DOWN, Context, Decimal
from xml.etree import ElementTree

from coupons.core import dates, money
from coupons.core.base_model import Model
from coupons.core.errors import InvalidRequest

PIVOT = "EUR"  # cross rates go through the ECB's base currency
SIGNIFICANT = 10  # digits a derived rate is written with
DEFAULT_MAX_AGE_DAYS = 4
MAX_FILE_BYTES = 1_000_000
MAX_RATES_PER_IMPORT = 100  # one TransactWriteItems: an import is stored all or nothing
_RATE = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,12})?", re.ASCII)
_ECB_NS = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}"
MANUAL, ECB, CSV = "manual", "ecb", "csv"


class Rate(Model):
    """One stored rate: 1 ``base`` = ``rate`` ``quote``."""

    base: str
    quote: str
    rate: Decimal
    rate_date: date
    source: str = MANUAL
    updated_at: datetime | None = None

    @property
    def pair(self) -> tuple[str, str]:
        return self.base, self.quote


class Derived(Model):
    """The rate for one conversion: 1 ``base`` = ``rate`` ``quote`` (for a checkout: units of the
    cart's currency per unit of the card's), from the stored ``legs`` (none for the same currency)."""

    base: str
    quote: str
    rate: Decimal
    rate_date: date | None
    legs: list[Rate]
    stale: bool = False  # set by the caller that knows today's date and the brand's max age

    def older_than(self, today: date, max_age_days: int) -> bool:
        return self.rate_date is not None and (today - self.rate_date).days > max_age_days

    def to_base(self, amount: Decimal) -> Decimal:
        """A ``quote`` amount (the cart's) in ``base`` (the card's), half-up to its exponent."""
        return money.quantize(amount / self.rate, self.base)

    def to_quote(self, amount: Decimal) -> Decimal:
        """A ``base`` amount (a fixed code's value) in ``quote``, half-up to its exponent."""
        return money.quantize(amount * self.rate, self.quote)

    def pays(self, balance: Decimal) -> Decimal:
        """What ``balance`` (in ``base``) pays in ``quote``: rounded down, so it never converts back
        to more than the balance."""
        unit = Decimal(1).scaleb(-money.exponent(self.quote))
        return (balance * self.rate).quantize(unit, rounding=ROUND_DOWN)


_SIG = Context(prec=SIGNIFICANT)


def _written(value: Decimal) -> Decimal:
    """``value`` with at most ``SIGNIFICANT`` significant digits, no trailing zeros."""
    rounded = _SIG.plus(value).normalize()
    return rounded.quantize(Decimal(1)) if rounded == rounded.to_integral() else rounded


def derive(base: str, quote: str, stored: Iterable[Rate]) -> Derived | None:
    """1 ``base`` in ``quote`` from the ``stored`` rates (see the module's doc), or None."""
    if base == quote:
        return Derived(base=base, quote=quote, rate=Decimal(1), rate_date=None, legs=[])
    by_pair = {r.pair: r for r in stored}
    leg = _leg(base, quote, by_pair)
    if leg is not None:
        value, used = leg
        return Derived(base=base, quote=quote, rate=_written(value), rate_date=min(r.rate_date for r in used),
                       legs=used)
    if PIVOT in (base, quote):
        return None
    first, second = _leg(base, PIVOT, by_pair), _leg(PIVOT, quote, by_pair)
    if first is None or second is None:
        return None
    used = first[1] + second[1]
    return Derived(base=base, quote=quote, rate=_written(first[0] * second[0]),
                   rate_date=min(r.rate_date for r in used), legs=used)


def _leg(base: str, quote: str, by_pair: dict[tuple[str, str], Rate]) -> tuple[Decimal, list[Rate]] | None:
    direct, reverse = by_pair.get((base, quote)), by_pair.get((quote, base))
    if reverse is not None and (direct is None or reverse.rate_date > direct.rate_date):
        return Decimal(1) / reverse.rate, [reverse]
    if direct is not None:
        return direct.rate, [direct]
    return None


def pairs_needed(base: str, quote: str) -> list[tuple[str, str]]:
    """Every stored pair ``derive(base, quote, ...)`` may use: one read fetches them all."""
    wanted = [(base, quote), (quote, base)]
    for currency in (base, quote):
        if currency != PIVOT:
            wanted += [(currency, PIVOT), (PIVOT, currency)]
    return list(dict.fromkeys(p for p in wanted if p[0] != p[1]))


# ---- input ---------------------------------------------------------------------------------------


def parse_rate(text: str, what: str = "rate") -> Decimal:
    """A rate written ``1.0832``: ASCII digits and a dot, above 0."""
    text = text.strip()
    if not _RATE.fullmatch(text):
        raise InvalidRequest(f"The {what} {text[:40]!r} is not a number such as 1.0832")
    value = Decimal(text)
    if value <= 0:
        raise InvalidRequest(f"The {what} {text!r} must be above 0")
    return value


def new_rate(base: str, quote: str, rate: str, rate_date: str | date, source: str = MANUAL) -> Rate:
    """A rate from text as people and files write it, or ``InvalidRequest``."""
    base, quote = money.require_currency(base), money.require_currency(quote)
    if base == quote:
        raise InvalidRequest(f"A rate needs two currencies; {base} = {base} is 1 by definition")
    day = rate_date if isinstance(rate_date, date) else dates.parse_day(rate_date.strip(), "rate date")
    return Rate(base=base, quote=quote, rate=parse_rate(rate, f"{base}/{quote} rate"), rate_date=day, source=source)


def _checked(rates: list[Rate]) -> list[Rate]:
    if not rates:
        raise InvalidRequest("The file holds no rates")
    if len(rates) > MAX_RATES_PER_IMPORT:
        raise InvalidRequest(f"The file holds {len(rates)} rates; one import takes at most {MAX_RATES_PER_IMPORT}")
    seen: set[frozenset[str]] = set()
    for r in rates:
        if frozenset(r.pair) in seen:
            raise InvalidRequest(f"The file gives the {r.base}/{r.quote} rate twice")
        seen.add(frozenset(r.pair))
    return rates


def parse_ecb_xml(data: bytes) -> list[Rate]:
    """The ECB's daily reference rates (``eurofxref-daily.xml``): one ``<Cube time="yyyy-mm-dd">``
    holding ``<Cube currency="USD" rate="1.0832"/>`` per currency, 1 EUR = rate. Everything is
    checked before anything is returned: a truncated or malformed file is refused as a whole.

    The standard library's parser is used on a file of bounded size: it resolves no external
    entities, and expat (2.4.1 and later) refuses entity expansion attacks."""
    if len(data) > MAX_FILE_BYTES:
        raise InvalidRequest(f"The rates file is larger than {MAX_FILE_BYTES} bytes")
    try:
        root = ElementTree.fromstring(data)  # noqa: S314 - see above
    except ElementTree.ParseError as error:
        raise InvalidRequest(f"The rates file is not complete XML ({error})") from None
    days = [c for c in root.iter(f"{_ECB_NS}Cube") if "time" in c.attrib]
    if len(days) != 1:
        raise InvalidRequest(f"The rates file must hold one day of ECB reference rates (<Cube time=...>); "
                             f"it holds {len(days)}")
    day = dates.parse_day(days[0].attrib["time"], "ECB rate date")
    rates = []
    for cube in days[0]:
        currency, rate = cube.attrib.get("currency"), cube.attrib.get("rate")
        if cube.tag != f"{_ECB_NS}Cube" or currency is None or rate is None:
            raise InvalidRequest("Every <Cube> of the day must carry currency and rate")
        try:
            rates.append(new_rate(PIVOT, currency, rate, day, ECB))
        except InvalidRequest as error:
            raise InvalidRequest(f"ECB rate for {currency[:10]!r}: {error.message}") from None
    return _checked(rates)


CSV_COLUMNS = ["base", "quote", "rate", "date"]


def parse_csv(text: str) -> list[Rate]:
    """``base,quote,rate,date`` with that header (1 base = rate quote on date, yyyy-mm-dd). Every
    row is checked before anything is returned; one bad row refuses the file."""
    if len(text) > MAX_FILE_BYTES:
        raise InvalidRequest(f"The rates file is larger than {MAX_FILE_BYTES} bytes")
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or [h.strip().lower() for h in header] != CSV_COLUMNS:
        raise InvalidRequest(f"The first line must be the header {','.join(CSV_COLUMNS)}")
    rates = []
    for number, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(CSV_COLUMNS):
            raise InvalidRequest(f"Line {number}: {len(row)} columns, expected {len(CSV_COLUMNS)}")
        try:
            rates.append(new_rate(row[0], row[1], row[2], row[3], CSV))
        except InvalidRequest as error:
            raise InvalidRequest(f"Line {number}: {error.message}") from None
    return _checked(rates)

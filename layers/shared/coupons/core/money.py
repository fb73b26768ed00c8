"""Money as partners send it: decimal strings like ``1000.00``, ISO 4217 currencies.

One strict amount parser for every money path (``parse_amount``): ASCII digits, a dot, at most the
currency's own decimals (its ISO 4217 exponent: JPY none, EUR two, KWD three), no sign unless the
caller allows one, never a float. What it refuses is refused with a message, never rounded: a
silently rounded amount is money somebody did not agree to.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from coupons.core.errors import InvalidRequest

MAX_INTEGER_DIGITS = 9  # up to 999,999,999.99: far above any order, far below Decimal/DynamoDB limits
# Digits are spelled out: ``\d`` would also take Arabic-Indic and other Unicode digits.
_AMOUNT = re.compile(rf"(-?)([0-9]{{1,{MAX_INTEGER_DIGITS}}})(?:\.([0-9]+))?", re.ASCII)

# ISO 4217 active currency codes (list one, 2025 edition), fund and metal codes excluded.
ISO_4217 = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
    BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
    GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR
    KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK
    MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR
    SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS
    UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
    """.split()  # noqa: SIM905 - a list people can read against the standard
)

# require_currency's codes for OpenAPI: any letter case (surrounding spaces, which it also
# strips, are left out of the promise).
def currency_schema(currencies: frozenset[str] | set[str] = ISO_4217) -> str:
    return "^(?:" + "|".join("".join(f"[{c}{c.lower()}]" for c in code) for code in sorted(currencies)) + ")$"


CURRENCY_SCHEMA = currency_schema()

# ISO 4217 list one, column "minor unit", for the codes above whose exponent is not 2.
_EXPONENTS = {
    **dict.fromkeys(["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV",
                     "XAF", "XOF", "XPF"], 0),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
}


def exponent(currency: str | None) -> int:
    """Decimals of ``currency``'s minor unit (ISO 4217): JPY 0, EUR 2, KWD 3. No currency: 2."""
    return _EXPONENTS.get(currency or "", 2)


def decimals(amount: Decimal) -> int:
    """The decimals ``amount`` needs: ``291.0`` needs none (trailing zeros change no value)."""
    return max(0, -int(amount.normalize().as_tuple().exponent))


def quantize(amount: Decimal, currency: str | None) -> Decimal:
    """``amount`` rounded half-up to ``currency``'s minor unit (a computed share, never input)."""
    return amount.quantize(Decimal(1).scaleb(-exponent(currency)), rounding=ROUND_HALF_UP)


def parse_amount(value: Any, what: str, currency: str | None = None, *, zero: bool = False,
                 negative: bool = False, decimals: int | None = None) -> Decimal:
    """An amount written ``1000.00`` (a string, or an exact JSON number: int or Decimal), or
    ``InvalidRequest`` naming ``what``.

    At most ``decimals`` decimals (default: ``currency``'s ISO 4217 exponent; two without one).
    ``zero``: 0 is allowed; ``negative``: a leading ``-`` is allowed (never ``-0``). Refused: floats
    (a JSON reader must use ``parse_float=Decimal``), booleans, exponents (``1E+8``), spaces,
    underscores, ``+``, non-ASCII digits, more than 9 integer digits, more decimals than allowed.
    """
    if value is None or value == "":
        raise InvalidRequest(f"The {what} is missing")
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise InvalidRequest(f"The {what} must be a decimal string such as \"100.00\"")
    text = str(value)
    allowed = exponent(currency) if decimals is None else decimals
    found = _AMOUNT.fullmatch(text)
    if not found:
        raise InvalidRequest(f"The {what} {text[:40]!r} is not a number in the format 1000.00 "
                             "(ASCII digits and a dot: no spaces, exponent or thousands separator)")
    sign, _, fraction = found.groups()
    if fraction is not None and len(fraction) > allowed:
        unit = f"{currency} has" if currency else "amounts have"
        raise InvalidRequest(f"The {what} {text!r} has {len(fraction)} decimals; {unit} at most {allowed}")
    amount = Decimal(text)
    if sign and (not negative or amount == 0):
        raise InvalidRequest(f"The {what} {text!r} must not be negative" if amount else
                             f"The {what} {text!r} is a negative zero; send 0")
    if amount == 0 and not zero:
        raise InvalidRequest(f"The {what} must be greater than 0")
    return amount


def require_currency(text: str) -> str:
    """An ISO 4217 code in upper case; ``eur`` is accepted as ``EUR``."""
    currency = text.strip().upper()
    if currency not in ISO_4217:
        raise InvalidRequest(f"The currency {text!r} is not an ISO 4217 currency code (for example EUR or USD)")
    return currency


def to_wire(amount: Decimal, currency: str | None = None, at_least: int = 0) -> str:
    """``amount`` written with ``currency``'s decimals (no currency: two): ``Decimal('5')`` ->
    ``'5.00'`` in EUR, ``'5'`` in JPY, ``'5.000'`` in KWD. ``at_least``: a partner's format asks for
    more decimals (Brandbassador's ``1000.00`` for yen too)."""
    places = max(exponent(currency), at_least)
    return f"{amount:.{places}f}"

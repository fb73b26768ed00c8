"""Money as partners send it: decimal strings like ``1000.00``, ISO 4217 currencies."""

from __future__ import annotations

import re
from decimal import Decimal

from coupons.core.errors import InvalidRequest

_AMOUNT = re.compile(r"\d{1,9}(\.\d{1,2})?", re.ASCII)

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


def parse_amount(text: str | None, what: str) -> Decimal:
    """A positive amount written like ``1000.00`` (dot decimal separator, at most two decimals)."""
    if text is None or text == "":
        raise InvalidRequest(f"The {what} is missing")
    if not _AMOUNT.fullmatch(text):
        raise InvalidRequest(f"The {what} {text!r} is not a number in the format 1000.00")
    value = Decimal(text)
    if value <= 0:
        raise InvalidRequest(f"The {what} must be greater than 0")
    return value


def require_currency(text: str) -> str:
    """An ISO 4217 code in upper case; ``eur`` is accepted as ``EUR``."""
    currency = text.strip().upper()
    if currency not in ISO_4217:
        raise InvalidRequest(f"The currency {text!r} is not an ISO 4217 currency code (for example EUR or USD)")
    return currency


def to_wire(amount: Decimal) -> str:
    """``Decimal('5')`` -> ``'5.00'``: the two-decimal format partners expect back."""
    return f"{amount:.2f}"

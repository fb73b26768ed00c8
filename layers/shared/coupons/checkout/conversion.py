"""Gift cards and fixed-amount codes in another currency than the cart's, at the brand's rates.

The card's balance is guarded in its own currency, the cart side stays in the cart's; the rates
used are held by ConditionChecks in the redemption's transaction, so a warm redemption stays one
call (docs/money.md, "Gift cards and fixed codes in another currency", Calls)."""

from __future__ import annotations

import os
from datetime import date
from typing import Any

from coupons.core import cache, rate_items, rates
from coupons.core.models import CodeRecord, DiscountKind
from coupons.core.rates import Derived
from coupons.core.sales import Cart
from coupons.core.table import Table

MAX_AGE_ENV = "RATE_MAX_AGE_DAYS"
_PART = "rate"


def max_age_days() -> int:
    """The brand's setting (template parameter ``RateMaxAgeDays``); 4 when unset or unreadable."""
    text = os.environ.get(MAX_AGE_ENV, "")
    return int(text) if text.isascii() and text.isdigit() else rates.DEFAULT_MAX_AGE_DAYS


def needs_rate(record: CodeRecord | None, cart: Cart) -> bool:
    return (record is not None and record.discount.kind in (DiscountKind.FIXED, DiscountKind.GIFT_CARD)
            and record.discount.currency != cart.currency)


def _entry(base: str, quote: str) -> tuple[str, str, str]:
    return ("rate", base, quote)


def rate_for(table: Table, record: CodeRecord | None, cart: Cart, today: date) -> Derived | None:
    """The rate ``record``'s currency converts to the cart's at, marked ``stale`` when older than
    the brand allows; None when no rate is needed or none is stored (``currency_mismatch``)."""
    if record is None or not needs_rate(record, cart) or record.discount.currency is None:
        return None
    base, quote = record.discount.currency, cart.currency
    found = cache.cached(table, _entry(base, quote), lambda: rate_items.lookup(table, base, quote))
    if found is None:
        return None
    return found.model_copy(update={"stale": found.older_than(today, max_age_days())})


def forget(table: Table, record: CodeRecord | None, cart: Cart) -> None:
    if record is not None and record.discount.currency:
        cache.forget(table, _entry(record.discount.currency, cart.currency))


def condition_parts(table: Table, rate: Derived | None) -> dict[str, dict[str, Any]]:
    """ConditionChecks holding each stored rate ``rate`` was derived from, as it was read."""
    if rate is None:
        return {}
    return {f"{_PART}{n}": rate_items.unchanged(table, leg) for n, leg in enumerate(rate.legs)}


def rate_changed(failed: dict[str, Any]) -> bool:
    """A cancelled redemption's failed parts include a rate: it changed since it was read."""
    return any(name.startswith(_PART) for name in failed)

"""The gift-card liability for the brand's finance tools (``GET /checkout/reports/gift-cards``):
the figures of ``coupons-admin reports gift-cards`` (``core.ledger``), from the code-free ledger
items (``core.card_items``), read by Query alone."""

from __future__ import annotations

from datetime import date

from coupons.checkout.redemptions import authenticate
from coupons.core import card_items, ledger
from coupons.core.table import Table


def gift_cards(table: Table, key: str, as_of: date, deadline: float) -> list[dict[str, str | int]]:
    """One row per card currency as of the end of ``as_of`` (UTC); ``TooLarge`` past ``deadline``."""
    authenticate(table, key)
    return ledger.liability(card_items.read(table, deadline), as_of)

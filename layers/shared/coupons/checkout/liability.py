"""The gift-card liability for the brand's finance tools (``GET /checkout/reports/gift-cards``):
the figures of ``coupons-admin reports gift-cards`` (``core.ledger``), from items read without
any gift card's code (``report_items.card_moves``)."""

from __future__ import annotations

from datetime import date

from coupons.checkout import report_items
from coupons.checkout.redemptions import authenticate
from coupons.core import ledger
from coupons.core.table import Table


def gift_cards(table: Table, key: str, as_of: date, deadline: float) -> list[dict[str, str | int]]:
    """One row per card currency as of the end of ``as_of`` (UTC); ``TooLarge`` past ``deadline``."""
    authenticate(table, key)
    return ledger.liability(report_items.card_moves(table, deadline), as_of)

"""Partner accounts and their authentication."""

from __future__ import annotations

from coupons.core import account_items
from coupons.core.credentials import verify_secret
from coupons.core.errors import Forbidden, NotFound, Unauthenticated
from coupons.core.models import Account
from coupons.core.table import Table


def authenticate(table: Table, partner: str, account_id: str, presented: str | None, noun: str) -> Account:
    """The account, if ``presented`` is its secret. ``noun`` names the account in messages
    (``webshop``, ``reward`` ...)."""
    account = account_items.get(table, partner, account_id)
    if account is None:
        raise NotFound(f"Unknown {noun} {account_id!r}: it is not configured in this coupon service")
    if not presented:
        raise Unauthenticated(f"The key for {noun} {account_id!r} is missing")
    if not verify_secret(presented, account.secret_hash):
        raise Forbidden(f"The key for {noun} {account_id!r} is not valid")
    return account

"""Partner accounts and their authentication."""

from __future__ import annotations

import re

from coupons.core import account_items
from coupons.core.credentials import verify_secret
from coupons.core.errors import Forbidden, Unauthenticated
from coupons.core.models import Account
from coupons.core.table import Table

# What an account id may be (the admin CLI refuses others): short enough for any DynamoDB key
# (2,048 bytes at most), so a 3,000-character id from the internet never reaches the table.
ACCOUNT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}", re.ASCII)


def authenticate(table: Table, partner: str, account_id: str, presented: str | None, noun: str) -> Account:
    """The account, if ``presented`` is its secret. ``noun`` names the account in messages
    (``webshop``, ``programme`` ...).

    The key is checked before anything else is said: an unknown account and a wrong key get the
    same answer, each after a table read and hash compares, so ids cannot be enumerated.

    The account comes from memory (``coupons.core.cache``, at most 30 s old): a revoked key keeps
    working at most that long. A key the remembered account refuses is checked once more against
    the table, so a key rotated in the meantime works at once.
    """
    shown = repr(account_id[:64])
    if not presented:
        raise Unauthenticated(f"The key for {noun} {shown} is missing")
    account = account_items.get_cached(table, partner, account_id) if ACCOUNT_ID.fullmatch(account_id) else None
    if account is not None and not account.opens_with(presented):
        account = account_items.get_cached(table, partner, account_id, fresh=True)
    if account is None:
        verify_secret(presented, None)  # the work of a wrong key, so both take as long
        raise Forbidden(f"The key for {noun} {shown} is not valid")
    if not account.opens_with(presented):
        raise Forbidden(f"The key for {noun} {shown} is not valid")
    return account

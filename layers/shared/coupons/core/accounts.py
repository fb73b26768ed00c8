"""Partner accounts and their authentication."""

from __future__ import annotations

import re
from collections.abc import Callable

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
    same answer, each after one table read and hash compares (``opened``), so ids cannot be
    enumerated.
    """
    shown = repr(account_id[:64])
    if not presented:
        raise Unauthenticated(f"The key for {noun} {shown} is missing")

    def opens(account: Account | None) -> bool:
        # An unknown account costs the work of a wrong key, so both take as long.
        return verify_secret(presented, None) if account is None else account.opens_with(presented)

    account = opened(table, partner, account_id, opens)
    if account is None:
        raise Forbidden(f"The key for {noun} {shown} is not valid")
    return account


def opened(table: Table, partner: str, account_id: str, opens: Callable[[Account | None], bool],
           valid_id: re.Pattern[str] = ACCOUNT_ID) -> Account | None:
    """The account if ``opens`` accepts it, else None (unknown, or refused): the one way a request
    opens an account. ``opens(None)`` runs for an unknown account so that it costs a refused one's work;
    a refusal always rests on a read made for this request (docs/architecture.md, "Authentication")."""
    if not valid_id.fullmatch(account_id):
        opens(None)
        return None
    account, read_now = account_items.lookup_cached(table, partner, account_id)
    if account is not None and not read_now and not opens(account):
        account = account_items.get_cached(table, partner, account_id, fresh=True)
    if account is None:
        opens(None)
        return None
    return account if opens(account) else None

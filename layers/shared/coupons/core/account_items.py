"""Partner accounts (webshops, rewards, programmes, campaigns): ``pk = ACCOUNT#<partner>#<id>``.

Accounts are written only by the admin CLI, and read on nearly every request: the request paths
read them with ``get_cached`` (``coupons.core.cache``: at most ``cache.TTL_SECONDS`` old; writes
here forget the entry at once). ``get`` always reads the table (the admin CLI, the sender).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from botocore.exceptions import ClientError

from coupons.core import cache
from coupons.core.errors import NotFound
from coupons.core.models import Account, utcnow
from coupons.core.table import Table, error_code

SK = "ACCOUNT"


def key(partner: str, account_id: str) -> dict[str, Any]:
    return {"pk": f"ACCOUNT#{partner}#{account_id}", "sk": SK}


def budget_key(partner: str, account_id: str, day: date) -> dict[str, Any]:
    """A day's issuance counter, in the account's own partition (its policy already covers it)."""
    return {"pk": key(partner, account_id)["pk"], "sk": f"BUDGET#{day.isoformat()}"}


def put(table: Table, account: Account) -> None:
    """Create or replace an account (admin CLI only; partners never write accounts)."""
    item = account.model_dump()
    item.update(key(account.partner, account.account_id), gsi1pk=f"ACCOUNTS#{account.partner}", gsi1sk=account.account_id)
    table.call("put_item", Item=table.serialize(item))
    cache.forget(table, _cache_key(account.partner, account.account_id))


def _cache_key(partner: str, account_id: str) -> tuple[str, str, str]:
    return ("account", partner, account_id)


def get(table: Table, partner: str, account_id: str) -> Account | None:
    item = table.call("get_item", Key=table.serialize(key(partner, account_id))).get("Item")
    return Account.model_validate(table.deserialize(item)) if item else None


def get_cached(table: Table, partner: str, account_id: str, fresh: bool = False) -> Account | None:
    """The account as read at most ``cache.TTL_SECONDS`` ago (a missing one is asked again each
    time); ``fresh`` reads it now and keeps that."""
    if fresh:
        cache.forget(table, _cache_key(partner, account_id))
    return cache.cached(table, _cache_key(partner, account_id), lambda: get(table, partner, account_id))


def lookup_cached(table: Table, partner: str, account_id: str) -> tuple[Account | None, bool]:
    """``get_cached``'s answer, and whether this call read it from the table (a miss, or an entry
    past its TTL). A caller that refuses a key against a remembered account checks once more
    against the table; against one it has just read, it need not: so an unknown account and a
    wrong key each cost exactly one read, warm or cold."""
    read_now = False

    def load() -> Account | None:
        nonlocal read_now
        read_now = True
        return get(table, partner, account_id)

    return cache.cached(table, _cache_key(partner, account_id), load), read_now


def set_secret(table: Table, partner: str, account_id: str, secret_hash: str, grace: timedelta = timedelta(0)) -> None:
    """Rotate an account's secret; fails if the account does not exist. The key it replaces stays
    valid for ``grace`` (partners switch keys at their own pace); with no grace it stops now. One
    update, so a concurrent edit of the settings is never undone by a rotation."""
    now = utcnow()
    table.call(
        "update_item",
        Key=table.serialize(key(partner, account_id)),
        UpdateExpression="SET previous_secret_hash = secret_hash, previous_valid_until = :until, "
        "secret_hash = :h, updated_at = :now",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeValues=table.values({":h": secret_hash, ":now": now, ":until": now + grace}),
    )
    cache.forget(table, _cache_key(partner, account_id))


def set_settings(table: Table, partner: str, account_id: str, settings: dict[str, Any]) -> None:
    """Replace an account's settings (admin CLI); ``NotFound`` if the account does not exist. The
    settings alone, in one update, so a concurrent key rotation is never undone."""
    try:
        table.call(
            "update_item",
            Key=table.serialize(key(partner, account_id)),
            UpdateExpression="SET settings = :s, updated_at = :now",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=table.values({":s": settings, ":now": utcnow()}),
        )
    except ClientError as error:
        if error_code(error) != "ConditionalCheckFailedException":
            raise
        raise NotFound(f"Unknown {partner} account {account_id!r}") from None
    finally:
        cache.forget(table, _cache_key(partner, account_id))


def list_all(table: Table, partner: str) -> Iterator[Account]:
    for item in table.query_all(
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :p",
        ExpressionAttributeValues=table.values({":p": f"ACCOUNTS#{partner}"}),
    ):
        yield Account.model_validate(item)

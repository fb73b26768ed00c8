"""Partner accounts (webshops, rewards, programmes, campaigns): ``pk = ACCOUNT#<partner>#<id>``.

Request paths read them with ``get_cached`` (at most 30 s old), the admin CLI and the sender with ``get``;
every write raises ``version``, which ``save`` and ``unchanged`` hold on (docs/architecture.md, "Authentication")."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from coupons.core import cache
from coupons.core.errors import CouponError
from coupons.core.models import Account, utcnow
from coupons.core.table import ConditionsFailed, Table

SK = "ACCOUNT"
_VERSION = {"#version": "version"}
_NEXT_VERSION = "#version = if_not_exists(#version, :zero) + :one"


class ChangedMeanwhile(CouponError):
    """The account was written (an edit, a key rotation) after the copy being saved was read."""


def key(partner: str, account_id: str) -> dict[str, Any]:
    return {"pk": f"ACCOUNT#{partner}#{account_id}", "sk": SK}


def budget_key(partner: str, account_id: str, day: date, own_partition: bool = False) -> dict[str, Any]:
    """A day's issuance counter, in the account's own partition (its policy already covers it), or
    with ``own_partition`` in ``ACCOUNT#<partner>#<id>#BUDGET`` beside it: IAM's LeadingKeys sees
    partition keys only, so only there can a policy let a function count without writing its account
    (account ids cannot hold ``#``: ``core.accounts.ACCOUNT_ID``)."""
    pk = key(partner, account_id)["pk"]
    return {"pk": f"{pk}#BUDGET" if own_partition else pk, "sk": f"BUDGET#{day.isoformat()}"}


def put(table: Table, account: Account) -> None:
    """Create or replace an account (admin CLI only; partners never write accounts). Whatever the
    copy's version, the stored one goes up by one, so no copy read before this write can be saved."""
    _write(table, account, None)


def save(table: Table, account: Account) -> None:
    """Replace an account with ``account``, an edited copy of what ``get`` read, only if nobody wrote
    it since (the stored version is still ``account.version``); else nothing is written and
    ``ChangedMeanwhile`` says so. The admin CLI's read-modify-write commands save this way."""
    condition, values = _at_version(account.version)
    try:
        _write(table, account, condition, values)
    except ConditionsFailed:
        raise ChangedMeanwhile(
            f"The {account.partner} account {account.account_id!r} was changed by someone else (an edit or a "
            "key rotation) since this command read it; nothing was written. Run the command again.") from None


def unchanged(table: Table, partner: str, account_id: str, version: int) -> dict[str, Any]:
    """A transaction part (``Table.transact``) that holds only while the stored account is still at
    ``version``: a request acting on a cached copy (``get_cached``) writes nothing when the
    configuration changed meanwhile, and can read it fresh and decide again."""
    condition, values = _at_version(version)
    check: dict[str, Any] = {"Key": table.serialize(key(partner, account_id)), "ConditionExpression": condition,
                             "ExpressionAttributeNames": dict(_VERSION)}
    if values:
        check["ExpressionAttributeValues"] = table.values(values)
    return {"ConditionCheck": check}


def _at_version(version: int) -> tuple[str, dict[str, Any]]:
    if version:
        return "#version = :read", {":read": version}
    return "attribute_exists(pk) AND attribute_not_exists(#version)", {}  # stored before versions


def _write(table: Table, account: Account, condition: str | None, values: dict[str, Any] | None = None) -> None:
    """The whole account in one UpdateItem (a PutItem cannot raise the stored version by one):
    the model's fields set, those it leaves empty removed."""
    fields = account.model_dump(exclude={"version"})
    fields.update(updated_at=utcnow(), gsi1pk=f"ACCOUNTS#{account.partner}", gsi1sk=account.account_id)
    present = [name for name, value in fields.items() if value is not None]
    absent = [name for name, value in fields.items() if value is None]
    names = {**_VERSION, **{f"#s{i}": name for i, name in enumerate(present)},
             **{f"#r{i}": name for i, name in enumerate(absent)}}
    expression = "SET " + ", ".join([*(f"#s{i} = :s{i}" for i in range(len(present))), _NEXT_VERSION])
    if absent:
        expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(absent)))
    request: dict[str, Any] = {
        "Key": table.serialize(key(account.partner, account.account_id)),
        "UpdateExpression": expression,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": table.values({
            **{f":s{i}": fields[name] for i, name in enumerate(present)}, ":zero": 0, ":one": 1, **(values or {})}),
    }
    if condition:
        request["ConditionExpression"] = condition
    try:
        table.update(**request)
    finally:
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
    return lookup_cached(table, partner, account_id)[0]


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
    update, so a concurrent edit of the settings is never undone by a rotation; and it raises the
    version, so an edit saved from a copy read before the rotation cannot undo it either."""
    now = utcnow()
    table.call(
        "update_item",
        Key=table.serialize(key(partner, account_id)),
        UpdateExpression="SET previous_secret_hash = secret_hash, previous_valid_until = :until, "
        f"secret_hash = :h, updated_at = :now, {_NEXT_VERSION}",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeNames=_VERSION,
        ExpressionAttributeValues=table.values({":h": secret_hash, ":now": now, ":until": now + grace,
                                                ":zero": 0, ":one": 1}),
    )
    cache.forget(table, _cache_key(partner, account_id))


def list_all(table: Table, partner: str) -> Iterator[Account]:
    for item in table.query_all(
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :p",
        ExpressionAttributeValues=table.values({":p": f"ACCOUNTS#{partner}"}),
    ):
        yield Account.model_validate(item)

"""Coupon banks: the bank's settings, and its pool of free (not yet assigned) codes.

A bank code is the ordinary ``CODE#<code>`` item; while free it sits in a sparse, sharded slice of
``gsi1`` that its assignment leaves in the same conditional update (why this shape, and the
arithmetic: docs/architecture.md, "Coupon banks")."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from coupons.core import cache
from coupons.core.table import ConditionsFailed, Table

BANK_SK = "BANK"
INDEX = "gsi1"


def bank_key(bank_id: str) -> dict[str, Any]:
    return {"pk": f"FRIENDBUY#BANK#{bank_id}", "sk": BANK_SK}


def free_partition(bank_id: str, shard: int) -> str:
    return f"FRIENDBUY#FREE#{bank_id}#{shard}"


def shard_of(code: str, shards: int) -> int:
    """The free-pool shard of a code: a hash, so any list of codes (sequential ones too) spreads evenly."""
    return int.from_bytes(hashlib.blake2b(code.encode(), digest_size=4).digest(), "big") % shards


def free_sort_key(code: str) -> str:
    return f"{secrets.token_hex(6)}#{code}"


def pool_keys(bank_id: str, shards: int, code: str) -> dict[str, str]:
    """The index attributes that put a code item in its bank's free pool."""
    return {"gsi1pk": free_partition(bank_id, shard_of(code, shards)), "gsi1sk": free_sort_key(code)}


# What an assignment does to the code item: it leaves the pool in the same update.
LEAVE_POOL = "REMOVE gsi1pk, gsi1sk"


def put_bank(table: Table, bank_id: str, attributes: dict[str, Any], replace: bool = False) -> None:
    """Create a bank (or replace its settings with ``replace``); raises ``BankExists`` otherwise."""
    item = {**attributes, **bank_key(bank_id)}
    try:
        table.put(Item=table.serialize(item), **({} if replace else {"ConditionExpression": "attribute_not_exists(pk)"}))
    except ConditionsFailed:
        raise BankExists(bank_id) from None
    finally:
        cache.forget(table, ("friendbuy-bank", bank_id))


class BankExists(Exception):
    pass


def get_bank(table: Table, bank_id: str, consistent: bool = False) -> dict[str, Any] | None:
    item = table.call("get_item", Key=table.serialize(bank_key(bank_id)), ConsistentRead=consistent).get("Item")
    return table.deserialize(item) if item else None


def get_bank_cached(table: Table, bank_id: str) -> dict[str, Any] | None:
    """The bank's item as read at most ``cache.TTL_SECONDS`` ago: what assignment needs (the
    settings) changes only by the admin CLI."""
    return cache.cached(table, ("friendbuy-bank", bank_id), lambda: get_bank(table, bank_id))


def update_bank(table: Table, bank_id: str, expression: str, values: dict[str, Any] | None = None,
                condition: str = "attribute_exists(pk)", names: dict[str, str] | None = None) -> bool:
    """A conditional update of the bank item; False when the condition does not hold."""
    kwargs: dict[str, Any] = {"UpdateExpression": expression, "ConditionExpression": condition}
    if values:
        kwargs["ExpressionAttributeValues"] = table.values(values)
    if names:
        kwargs["ExpressionAttributeNames"] = names
    try:
        table.update(Key=table.serialize(bank_key(bank_id)), **kwargs)
    except ConditionsFailed:
        return False
    return True


# ---- the free pool -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FreeCode:
    code: str
    shard: int


def free_codes_from(table: Table, bank_id: str, shard: int, start: str | None, limit: int) -> list[FreeCode]:
    """Up to ``limit`` free codes of one shard from sort key ``start`` on, wrapping to the shard's
    beginning when nothing lies after ``start`` (one query, two for the wrap-around). Without
    ``start``, the shard's first codes (one query: the cheap way to find a shard empty).

    The index is eventually consistent: a code taken a moment ago may still be listed. The claim's
    condition on the code item itself decides, so a stale entry costs a retry, never a double."""
    pk = free_partition(bank_id, shard)
    found = []
    if start is not None:
        found = _query_free(table, "gsi1pk = :pk AND gsi1sk >= :start", {":pk": pk, ":start": start}, limit)
    if not found:
        found = _query_free(table, "gsi1pk = :pk", {":pk": pk}, limit)
    return [FreeCode(code, shard) for code in found]


def _query_free(table: Table, condition: str, values: dict[str, Any], limit: int) -> list[str]:
    page = table.call("query", IndexName=INDEX, KeyConditionExpression=condition,
                      ExpressionAttributeValues=table.values(values), Limit=limit,
                      ProjectionExpression="code")
    return [i["code"]["S"] for i in page.get("Items", [])]


def count_free(table: Table, bank_id: str, shards: int) -> int:
    """Number of free codes (reads the whole pool: for the admin CLI, not for requests)."""
    total = 0
    for shard in range(shards):
        kwargs: dict[str, Any] = {
            "IndexName": INDEX,
            "KeyConditionExpression": "gsi1pk = :pk",
            "ExpressionAttributeValues": table.values({":pk": free_partition(bank_id, shard)}),
            "Select": "COUNT",
        }
        while True:
            page = table.call("query", **kwargs)
            total += page["Count"]
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return total


def free_codes_all(table: Table, bank_id: str, shards: int) -> Iterator[str]:
    """Every free code of the bank, shard by shard (the admin CLI's export, not for requests)."""
    for shard in range(shards):
        for item in table.query_all(
            IndexName=INDEX, KeyConditionExpression="gsi1pk = :pk", ProjectionExpression="code",
            ExpressionAttributeValues=table.values({":pk": free_partition(bank_id, shard)}),
        ):
            yield item["code"]

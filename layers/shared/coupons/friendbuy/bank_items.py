"""Coupon banks: the bank's settings and its pool of free (not yet assigned) codes.

- ``pk = FRIENDBUY#BANK#<bank>``, ``sk = BANK``: settings and generation state.
- ``pk = FRIENDBUY#BANK#<bank>#FREE#<shard>``, ``sk = <12 random hex>#<code>``: one item per free code.
  A random sort key makes "the first item at or after a random key" a uniformly drawn code, so
  concurrent takers rarely meet; shards spread the deletes over several partitions.
- The codes themselves are ordinary ``CODE#`` items (store.codes) carrying ``bank``, ``free_pk`` and
  ``free_sk`` so that the free item can be found from the code.

Loading writes each code item and its free item in the same transaction, both conditional, so a
code is never in the pool without being in the namespace, nor twice in either.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from coupons.core.table import Table, error_code

BANK_SK = "BANK"
# TransactWriteItems takes at most 100 actions; each code takes two (code item + free item).


def bank_key(bank_id: str) -> dict[str, Any]:
    return {"pk": f"FRIENDBUY#BANK#{bank_id}", "sk": BANK_SK}


def free_partition(bank_id: str, shard: int) -> str:
    return f"FRIENDBUY#BANK#{bank_id}#FREE#{shard}"


def free_sort_key(code: str) -> str:
    return f"{secrets.token_hex(6)}#{code}"


def put_bank(table: Table, bank_id: str, attributes: dict[str, Any], replace: bool = False) -> None:
    """Create a bank (or replace its settings with ``replace``); raises ``BankExists`` otherwise."""
    item = {**attributes, **bank_key(bank_id)}
    try:
        table.call(
            "put_item",
            Item=table.serialize(item),
            **({} if replace else {"ConditionExpression": "attribute_not_exists(pk)"}),
        )
    except ClientError as error:
        if error_code(error) == "ConditionalCheckFailedException":
            raise BankExists(bank_id) from None
        raise


class BankExists(Exception):
    pass


def get_bank(table: Table, bank_id: str, consistent: bool = False) -> dict[str, Any] | None:
    item = table.call("get_item", Key=table.serialize(bank_key(bank_id)), ConsistentRead=consistent).get("Item")
    return table.deserialize(item) if item else None


def update_bank(table: Table, bank_id: str, expression: str, values: dict[str, Any] | None = None,
                condition: str = "attribute_exists(pk)", names: dict[str, str] | None = None) -> bool:
    """A conditional update of the bank item; False when the condition does not hold."""
    kwargs: dict[str, Any] = {"UpdateExpression": expression, "ConditionExpression": condition}
    if values:
        kwargs["ExpressionAttributeValues"] = table.values(values)
    if names:
        kwargs["ExpressionAttributeNames"] = names
    try:
        table.call("update_item", Key=table.serialize(bank_key(bank_id)), **kwargs)
    except ClientError as error:
        if error_code(error) == "ConditionalCheckFailedException":
            return False
        raise
    return True


# ---- the free pool -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FreeCode:
    code: str
    pk: str
    sk: str


def free_codes_from(table: Table, bank_id: str, shard: int, start: str | None, limit: int) -> list[FreeCode]:
    """Up to ``limit`` free codes of one shard from sort key ``start`` on, wrapping to the shard's
    beginning when nothing lies after ``start`` (one query, two for the wrap-around). Without
    ``start``, the shard's first codes (one query: the cheap way to find a shard empty)."""
    pk = free_partition(bank_id, shard)
    found = []
    if start is not None:
        found = _query_free(table, pk, "pk = :pk AND sk >= :start", {":pk": pk, ":start": start}, limit)
    if not found:
        found = _query_free(table, pk, "pk = :pk", {":pk": pk}, limit)
    return found


def _query_free(table: Table, pk: str, condition: str, values: dict[str, Any], limit: int) -> list[FreeCode]:
    page = table.call("query", KeyConditionExpression=condition, ExpressionAttributeValues=table.values(values),
                      Limit=limit)
    return [FreeCode(code=i["code"]["S"], pk=pk, sk=i["sk"]["S"]) for i in page.get("Items", [])]


def count_free(table: Table, bank_id: str, shards: int) -> int:
    """Exact number of free codes (reads the whole pool: for the admin CLI, not for requests)."""
    total = 0
    for shard in range(shards):
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk",
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

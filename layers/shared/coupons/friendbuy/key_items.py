"""Friendbuy access keys and the bearer tokens issued for them.

- ``pk = FRIENDBUY#KEY#<access key>``, ``sk = KEY``: the secret's hash and the campaigns the key opens.
- ``pk = FRIENDBUY#TOKEN#<sha256 of the token>``, ``sk = TOKEN``: a token, found by its hash (the token
  itself is never stored), removed by the table's TTL (``expires_at``) and refused after it on read,
  since TTL deletion can lag by hours.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from coupons.core.table import Table, error_code


def key_item_key(access_key: str) -> dict[str, Any]:
    return {"pk": f"FRIENDBUY#KEY#{access_key}", "sk": "KEY"}


def token_item_key(token_hash: str) -> dict[str, Any]:
    return {"pk": f"FRIENDBUY#TOKEN#{token_hash}", "sk": "TOKEN"}


def grant(table: Table, access_key: str, secret_hash: str, campaign_id: str) -> None:
    """Let ``access_key`` open ``campaign_id``; the key's secret becomes ``secret_hash`` (one secret per key)."""
    table.call(
        "update_item",
        Key=table.serialize(key_item_key(access_key)),
        UpdateExpression="SET secret_hash = :h ADD campaigns :c",
        ExpressionAttributeValues=table.values({":h": secret_hash, ":c": {campaign_id}}),
    )


def revoke(table: Table, access_key: str, campaign_id: str) -> None:
    """``access_key`` no longer opens ``campaign_id`` (a no-op for a key that does not exist)."""
    try:
        table.call(
            "update_item",
            Key=table.serialize(key_item_key(access_key)),
            UpdateExpression="DELETE campaigns :c",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=table.values({":c": {campaign_id}}),
        )
    except ClientError as error:
        if error_code(error) != "ConditionalCheckFailedException":
            raise


def get_key(table: Table, access_key: str) -> dict[str, Any] | None:
    item = table.call("get_item", Key=table.serialize(key_item_key(access_key))).get("Item")
    return table.deserialize(item) if item else None


def put_token(table: Table, token_hash: str, access_key: str, campaigns: set[str], expires_at: int) -> None:
    item = {**token_item_key(token_hash), "access_key": access_key, "campaigns": campaigns or None,
            "expires_at": expires_at}
    table.call("put_item", Item=table.serialize(item))


def get_token(table: Table, token_hash: str) -> dict[str, Any] | None:
    item = table.call("get_item", Key=table.serialize(token_item_key(token_hash))).get("Item")
    return table.deserialize(item) if item else None

"""Friendbuy access keys and the bearer tokens issued for them.

- ``pk = FRIENDBUY#KEY#<access key>``, ``sk = KEY``: the secret's hash and the campaigns the key opens.
- ``pk = FRIENDBUY#TOKEN#<sha256 of the token>``, ``sk = TOKEN``: a token, found by its hash (the token
  itself is never stored), removed by the table's TTL (``expires_at``) and refused after it on read,
  since TTL deletion can lag by hours.
"""

from __future__ import annotations

from typing import Any

from coupons.core.table import ConditionsFailed, Table


def key_item_key(access_key: str) -> dict[str, Any]:
    return {"pk": f"FRIENDBUY#KEY#{access_key}", "sk": "KEY"}


def token_item_key(token_hash: str) -> dict[str, Any]:
    return {"pk": f"FRIENDBUY#TOKEN#{token_hash}", "sk": "TOKEN"}


class KeyChanged(Exception):
    """The key's secret changed between the caller's check and the grant."""


def grant(table: Table, access_key: str, secret_hash: str, campaign_id: str, checked_hash: str | None) -> None:
    """Let ``access_key`` open ``campaign_id``. A new key gets ``secret_hash``; an existing key keeps
    its secret, which the caller checked (``checked_hash``, the hash it verified the secret against):
    the condition makes sure nobody changed it meanwhile, so a shared key is never silently re-keyed."""
    if checked_hash is None:
        update, condition = "SET secret_hash = :h ADD campaigns :c", "attribute_not_exists(pk)"
        values = {":h": secret_hash, ":c": {campaign_id}}
    else:
        update, condition = "ADD campaigns :c", "secret_hash = :checked"
        values = {":c": {campaign_id}, ":checked": checked_hash}
    try:
        table.update(Key=table.serialize(key_item_key(access_key)), UpdateExpression=update,
                     ConditionExpression=condition, ExpressionAttributeValues=table.values(values))
    except ConditionsFailed:
        raise KeyChanged(access_key) from None


def revoke(table: Table, access_key: str, campaign_id: str) -> None:
    """``access_key`` no longer opens ``campaign_id`` (a no-op for a key that does not exist)."""
    try:
        table.update(
            Key=table.serialize(key_item_key(access_key)),
            UpdateExpression="DELETE campaigns :c",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=table.values({":c": {campaign_id}}),
        )
        # A key that opens no campaign any more is removed (DynamoDB drops an emptied set).
        table.delete(Key=table.serialize(key_item_key(access_key)),
                     ConditionExpression="attribute_exists(pk) AND attribute_not_exists(campaigns)")
    except ConditionsFailed:
        pass


def get_key(table: Table, access_key: str) -> dict[str, Any] | None:
    item = table.call("get_item", Key=table.serialize(key_item_key(access_key))).get("Item")
    return table.deserialize(item) if item else None


def put_token(table: Table, token_hash: str, access_key: str, campaigns: set[str], expires_at: int) -> None:
    item = {**token_item_key(token_hash), "access_key": access_key, "campaigns": campaigns or None,
            "expires_at": expires_at}
    table.put(Item=table.serialize(item))


def get_token(table: Table, token_hash: str) -> dict[str, Any] | None:
    item = table.call("get_item", Key=table.serialize(token_item_key(token_hash))).get("Item")
    return table.deserialize(item) if item else None

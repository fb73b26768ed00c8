"""The items of Friendbuy's outbound side: the brand's MAPI link per campaign, and the mark that a
purchase was sent (the sender function alone reads and writes them)."""

from __future__ import annotations

import contextlib
from typing import Any

from coupons.core.models import utcnow
from coupons.core.table import ConditionsFailed, Table


def link_key(campaign_id: str) -> dict[str, Any]:
    return {"pk": f"OUTBOUND#friendbuy#{campaign_id}", "sk": "MAPI"}


def put_link(table: Table, campaign_id: str, key: str, secret: str) -> None:
    item = {**link_key(campaign_id), "key": key, "secret": secret, "linked_at": utcnow().isoformat()}
    table.put(Item=table.serialize(item))


def delete_link(table: Table, campaign_id: str) -> None:
    table.delete(Key=table.serialize(link_key(campaign_id)))


def get_link(table: Table, campaign_id: str) -> dict[str, Any] | None:
    item = table.call("get_item", Key=table.serialize(link_key(campaign_id)), ConsistentRead=True).get("Item")
    return table.deserialize(item) if item else None


def forwarded(table: Table, purchase_key: dict[str, Any]) -> bool:
    """Whether the purchase item says it was sent to Friendbuy."""
    item = table.call("get_item", Key=table.serialize(purchase_key), ConsistentRead=True).get("Item")
    return bool(item and "forwarded_at" in item)


def mark_forwarded(table: Table, purchase_key: dict[str, Any]) -> None:
    """Mark the purchase sent (nothing when the purchase item is gone, e.g. erased)."""
    with contextlib.suppress(ConditionsFailed):
        table.update(Key=table.serialize(purchase_key), UpdateExpression="SET forwarded_at = :now",
                     ConditionExpression="attribute_exists(pk)",
                     ExpressionAttributeValues=table.values({":now": utcnow().isoformat()}))

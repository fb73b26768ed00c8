"""The items of Friendbuy's outbound side: the brand's MAPI link per campaign, and the mark that a
purchase was sent (the sender function alone reads and writes them). The MAPI secret is stored
sealed with KMS (``core.sealed``); the access key, the public half, as is."""

from __future__ import annotations

import contextlib
from typing import Any

from coupons.core import sealed, sealed_items
from coupons.core.models import utcnow
from coupons.core.table import ConditionsFailed, Table


def link_key(campaign_id: str) -> dict[str, Any]:
    return {"pk": f"OUTBOUND#friendbuy#{campaign_id}", "sk": "MAPI"}


def put_link(table: Table, campaign_id: str, key: str, secret: str) -> None:
    pk = link_key(campaign_id)["pk"]
    stored = sealed.seal(secret, sealed.Purpose.FRIENDBUY_MAPI_SECRET, pk)
    item = {**link_key(campaign_id), "key": key, "secret": stored, "linked_at": utcnow().isoformat()}
    table.put(Item=table.serialize(item))


def link_secret(item: dict[str, Any]) -> str:
    """The MAPI secret of a link item as read by ``get_link`` (a KMS Decrypt, cached 30 s)."""
    return sealed.unseal(item["secret"], sealed.Purpose.FRIENDBUY_MAPI_SECRET, item["pk"])


def reseal_link(table: Table, item: dict[str, Any]) -> bool:
    """Seal a secret stored before encryption (``secrets reencrypt``); False when it already is."""
    return sealed_items.reseal(table, item, sealed.Purpose.FRIENDBUY_MAPI_SECRET)



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

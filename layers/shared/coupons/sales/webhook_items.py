"""Outbound sale webhooks per partner: ``pk = CHECKOUT#WEBHOOK#<partner>``, ``sk = WEBHOOK``.

The secret signs what we send, so it cannot be hashed: it is stored sealed with KMS
(``core.sealed``), and only the sender may open it (``signing_secret``).
"""

from __future__ import annotations

from typing import Any

from coupons.core import sealed, sealed_items
from coupons.core.table import Table

SK = "WEBHOOK"


def key(partner: str) -> dict[str, str]:
    return {"pk": f"CHECKOUT#WEBHOOK#{partner}", "sk": SK}


def put(table: Table, partner: str, url: str, secret: str) -> None:
    pk = key(partner)["pk"]
    stored = sealed.seal(secret, sealed.Purpose.WEBHOOK_SECRET, pk)
    table.put(Item=table.serialize({**key(partner), "partner": partner, "url": url, "secret": stored}))


def get(table: Table, partner: str) -> dict[str, Any] | None:
    item = table.call("get_item", Key=table.serialize(key(partner))).get("Item")
    return table.deserialize(item) if item else None


def signing_secret(hook: dict[str, Any]) -> str:
    """The secret of a webhook item as read by ``get`` (a KMS Decrypt, cached 30 s)."""
    return sealed.unseal(hook["secret"], sealed.Purpose.WEBHOOK_SECRET, hook["pk"])


def reseal(table: Table, hook: dict[str, Any]) -> bool:
    """Seal a secret stored before encryption (``secrets reencrypt``); False when it already is."""
    return sealed_items.reseal(table, hook, sealed.Purpose.WEBHOOK_SECRET)


def delete(table: Table, partner: str) -> None:
    table.delete(Key=table.serialize(key(partner)))

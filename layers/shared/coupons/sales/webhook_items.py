"""Outbound sale webhooks per partner: ``pk = CHECKOUT#WEBHOOK#<partner>``, ``sk = WEBHOOK``.

The secret signs what we send, so it is kept as is (not hashed); only the sender reads it.
"""

from __future__ import annotations

from typing import Any

from coupons.core.table import Table

SK = "WEBHOOK"


def key(partner: str) -> dict[str, str]:
    return {"pk": f"CHECKOUT#WEBHOOK#{partner}", "sk": SK}


def put(table: Table, partner: str, url: str, secret: str) -> None:
    table.put(Item=table.serialize({**key(partner), "partner": partner, "url": url, "secret": secret}))


def get(table: Table, partner: str) -> dict[str, Any] | None:
    item = table.call("get_item", Key=table.serialize(key(partner))).get("Item")
    return table.deserialize(item) if item else None


def delete(table: Table, partner: str) -> None:
    table.delete(Key=table.serialize(key(partner)))

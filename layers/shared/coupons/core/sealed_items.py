"""Sealing in place a partner secret stored before encryption (``coupons-admin secrets reencrypt``)."""

from __future__ import annotations

from typing import Any

from coupons.core import sealed
from coupons.core.table import ConditionsFailed, Table


def reseal(table: Table, item: dict[str, Any], purpose: sealed.Purpose) -> bool:
    """Seal ``item``'s clear ``secret``; False when it already is sealed, or was changed meanwhile
    (only the value read is replaced: a secret set since is left alone)."""
    if sealed.is_sealed(item["secret"]):
        return False
    stored = sealed.seal(item["secret"], purpose, item["pk"])
    try:
        table.update(Key=table.serialize({"pk": item["pk"], "sk": item["sk"]}), UpdateExpression="SET secret = :new",
                     ConditionExpression="secret = :old",
                     ExpressionAttributeValues=table.values({":new": stored, ":old": item["secret"]}))
    except ConditionsFailed:
        return False
    return True

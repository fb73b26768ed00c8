"""Pause and unpause a code: single conditional writes of ``paused_at`` and ``paused_by`` on the
code item, and nothing else.

A paused code is refused by the checkout (reason ``paused``): ``rules.refusal`` for validate and
for explaining a cancelled redemption, and the redemption transaction's own condition
``attribute_not_exists(paused_at)`` (``checkout.items.redeem``), so no redemption whose write comes
after the pause's is accepted, whatever an instance remembers. Redemptions made before stay as
they are; unpausing removes the two attributes, so the item is exactly what it was.
"""

from __future__ import annotations

from datetime import datetime

from botocore.exceptions import ClientError

from coupons.core import code_items
from coupons.core.errors import NotFound
from coupons.core.table import Table, error_code, returned_item


def pause(table: Table, code: str, by: str, at: datetime) -> bool:
    """Pause ``code``; False when it already was (nothing written). ``NotFound`` for no such code."""
    return _write(table, code, "SET paused_at = :at, paused_by = :by",
                  "attribute_exists(pk) AND attribute_not_exists(paused_at)", {":at": at, ":by": by})


def unpause(table: Table, code: str) -> bool:
    """Unpause ``code``; False when it was not paused (nothing written). ``NotFound`` for no such code."""
    return _write(table, code, "REMOVE paused_at, paused_by", "attribute_exists(paused_at)", None)


def _write(table: Table, code: str, update: str, condition: str, values: dict | None) -> bool:
    request = {"Key": table.serialize(code_items.key(code)), "UpdateExpression": update,
               "ConditionExpression": condition, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
    if values:
        request["ExpressionAttributeValues"] = table.values(values)
    try:
        table.call("update_item", **request)
    except ClientError as error:
        if error_code(error) != "ConditionalCheckFailedException":
            raise
        if not returned_item(error):
            raise NotFound(f"No code {code}") from None
        return False
    return True

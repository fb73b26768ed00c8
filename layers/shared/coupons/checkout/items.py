"""Redemptions, written together with the code they use in one transaction.

Items, all in the code's own partition so that a gift card's balance and its history are one
Query and a redemption's key follows from its id:

- redemption: ``pk = CODE#<code>``, ``sk = REDEMPTION#<order digest>``; listed by day on ``gsi1``
  (``SALES#<yyyy-mm-dd>#<shard>``) for the attribution report;
- per-customer counter: ``pk = CODE#<code>``, ``sk = CUSTOMER#<customer digest>``, ``uses``.

The sale event for the partner is an outbox item (``store.outbox``) put in the same transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from coupons.checkout.rules import order_digest
from coupons.core import code_items, outbox
from coupons.core.models import CodeRecord, DiscountKind
from coupons.core.sales import Redemption, RedemptionState
from coupons.core.table import Table

SALES_SHARDS = 8  # spreads one day's sales over several index partitions (writes per partition)


def redemption_key(code: str, digest: str) -> dict[str, str]:
    return {"pk": f"CODE#{code}", "sk": f"REDEMPTION#{digest}"}


def customer_key(code: str, customer: str) -> dict[str, str]:
    return {"pk": f"CODE#{code}", "sk": f"CUSTOMER#{customer}"}


def sales_partition(day: date, shard: int) -> str:
    return f"SALES#{day.isoformat()}#{shard}"


def to_item(redemption: Redemption) -> dict[str, Any]:
    digest = order_digest(redemption.order_id)
    shard = int(hashlib.sha256(redemption.id.encode()).hexdigest(), 16) % SALES_SHARDS
    return {
        **redemption.model_dump(),
        **redemption_key(redemption.code, digest),
        "gsi1pk": sales_partition(redemption.created_at.date(), shard),
        "gsi1sk": f"{redemption.created_at.isoformat()}#{redemption.id}",
    }


def from_item(item: dict[str, Any]) -> Redemption:
    return Redemption.model_validate(item)


# ---- reads -------------------------------------------------------------------------------------


def code_partition(table: Table, code: str) -> tuple[CodeRecord | None, list[Redemption]]:
    """A code and its redemptions (oldest first), in one Query."""
    record, history = None, []
    for item in table.query_all(
        KeyConditionExpression="pk = :pk", ExpressionAttributeValues=table.values({":pk": f"CODE#{code}"})
    ):
        if item["sk"] == code_items.SK:
            record = code_items.from_item(item)
        elif item["sk"].startswith("REDEMPTION#"):
            history.append(from_item(item))
    return record, sorted(history, key=lambda r: r.created_at)


def sales(table: Table, first: date, last: date) -> Iterator[Redemption]:
    """Every redemption made from ``first`` to ``last`` (inclusive, UTC days)."""
    day = first
    while day <= last:
        for shard in range(SALES_SHARDS):
            for item in table.query_all(
                IndexName="gsi1",
                KeyConditionExpression="gsi1pk = :p",
                ExpressionAttributeValues=table.values({":p": sales_partition(day, shard)}),
            ):
                yield from_item(item)
        day += timedelta(days=1)


# ---- the two transactions ----------------------------------------------------------------------


def redeem(table: Table, redemption: Redemption, record: CodeRecord, customer_limit: int | None) -> None:
    """Use the code once, record the redemption and queue its sale event, all or nothing.

    The code item's condition is what makes single use and balances hold under any concurrency:
    ``uses < max_uses`` and ``balance >= :amount`` are checked by DynamoDB in the same write that
    changes them. ``ConditionsFailed`` names the parts that failed: ``redemption`` (this order already
    redeemed this code: a replay), ``code`` or ``customer``.
    """
    today = redemption.created_at.date()
    names = {"#status": "status", "#uses": "uses", "#max": "max_uses", "#kind": "kind",
             "#starts": "starts_on", "#expires": "expires_on"}
    values: dict[str, Any] = {":one": 1, ":active": "active", ":today": today, ":kind": record.discount.kind}
    update = "SET #uses = #uses + :one"
    condition = [
        "#status = :active AND #kind = :kind",
        "(attribute_not_exists(#max) OR #uses < #max)",
        "(attribute_not_exists(#starts) OR #starts <= :today)",
        "(attribute_not_exists(#expires) OR #expires >= :today)",
    ]
    if record.discount.kind is DiscountKind.GIFT_CARD:
        names.update({"#balance": "balance", "#currency": "currency"})
        values.update({":amount": redemption.gift_card_amount, ":currency": redemption.cart.currency})
        update += ", #balance = #balance - :amount"
        condition.append("#balance >= :amount AND #currency = :currency")
    parts = {
        "code": {"Update": {
            "Key": table.serialize(code_items.key(record.code)),
            "UpdateExpression": update,
            "ConditionExpression": " AND ".join(condition),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": table.values(values),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }},
        "redemption": {"Put": {
            "Item": table.serialize(to_item(redemption)),
            "ConditionExpression": "attribute_not_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }},
        "event": {"Put": outbox.put(table, redemption, outbox.SALE, redemption.created_at)},
    }
    if customer_limit is not None and redemption.customer_key:
        parts["customer"] = {"Update": {
            "Key": table.serialize(customer_key(record.code, redemption.customer_key)),
            "UpdateExpression": "SET #uses = if_not_exists(#uses, :zero) + :one",
            "ConditionExpression": "attribute_not_exists(#uses) OR #uses < :limit",
            "ExpressionAttributeNames": {"#uses": "uses"},
            "ExpressionAttributeValues": table.values({":zero": 0, ":one": 1, ":limit": customer_limit}),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }}
    table.transact(parts)


def roll_back(table: Table, redemption: Redemption, now: datetime) -> None:
    """Give the use (and a gift card's amount) back, once: the redemption's state moves from
    redeemed to rolled back in the same transaction, so a second call fails the condition of
    ``redemption`` and changes nothing."""
    digest = order_digest(redemption.order_id)
    code_update = "SET #uses = #uses - :one"
    names = {"#uses": "uses"}
    values: dict[str, Any] = {":one": 1}
    if redemption.kind is DiscountKind.GIFT_CARD:
        code_update += ", #balance = #balance + :amount"
        names["#balance"] = "balance"
        values[":amount"] = redemption.gift_card_amount
    rolled_back = redemption.model_copy(update={"state": RedemptionState.ROLLED_BACK, "rolled_back_at": now})
    parts = {
        "redemption": {"Update": {
            "Key": table.serialize(redemption_key(redemption.code, digest)),
            "UpdateExpression": "SET #state = :rolled_back, rolled_back_at = :now",
            "ConditionExpression": "#state = :redeemed",
            "ExpressionAttributeNames": {"#state": "state"},
            "ExpressionAttributeValues": table.values(
                {":rolled_back": RedemptionState.ROLLED_BACK, ":redeemed": RedemptionState.REDEEMED, ":now": now}),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }},
        "code": {"Update": {
            "Key": table.serialize(code_items.key(redemption.code)),
            "UpdateExpression": code_update,
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": table.values(values),
        }},
        "event": {"Put": outbox.put(table, rolled_back, outbox.ROLLBACK, now)},
    }
    if redemption.customer_key:
        parts["customer"] = {"Update": {
            "Key": table.serialize(customer_key(redemption.code, redemption.customer_key)),
            "UpdateExpression": "SET #uses = #uses - :one",
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeNames": {"#uses": "uses"},
            "ExpressionAttributeValues": table.values({":one": 1}),
        }}
    table.transact(parts)

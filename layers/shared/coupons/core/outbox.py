"""Sale events waiting for delivery to a partner: ``pk = OUTBOX#<redemption id>#<event>``.

Put in the sale's own transaction, so an event exists if and only if the sale does; its ``state``
is the delivery's single source of truth (states and leases: docs/architecture.md, "Sales back to partners";
docs/checkout.md, "Delivery to partners")."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from coupons.core.sales import DELIVERED, REFUND, ROLLBACK, SALE, SKIPPED, Redemption, Refund
from coupons.core.table import ITEM, ConditionsFailed, Table

SK = "OUTBOX"
PENDING, DEAD = "pending", "dead"  # and DELIVERED, SKIPPED: what a reporter answers (core.sales)
__all__ = ["DEAD", "DELIVERED", "PENDING", "REFUND", "ROLLBACK", "SALE", "SKIPPED"]
SHARDS = 8


def event_key(redemption_id: str, event: str) -> str:
    return f"OUTBOX#{redemption_id}#{event}"


def key(pk: str) -> dict[str, str]:
    return {"pk": pk, "sk": SK}


def _index(state: str, pk: str, created_at: str) -> dict[str, str]:
    shard = int(hashlib.sha256(pk.encode()).hexdigest(), 16) % SHARDS
    return {":gpk": f"OUTBOX#{state}#{shard}", ":gsk": f"{created_at}#{pk}"}


def put(table: Table, redemption: Redemption, event: str, now: datetime, refund: Refund | None = None) -> dict[str, Any]:
    """The Put (for a transaction) of a new pending event. A redemption has one sale and one
    rollback event, and one refund event per refund id (its digest in the key)."""
    name = f"{event}.{hashlib.sha256(refund.refund_id.encode()).hexdigest()[:24]}" if refund else event
    pk = event_key(redemption.id, name)
    index = _index(PENDING, pk, now.isoformat())
    item = {
        **key(pk),
        "event": event,
        "partner": redemption.owner.partner,
        "redemption": redemption.model_dump(),
        **({"refund": refund.model_dump()} if refund else {}),
        "state": PENDING,
        "attempts": 0,
        "created_at": now,
        "gsi1pk": index[":gpk"],
        "gsi1sk": index[":gsk"],
    }
    return {"Item": table.serialize(item), "ConditionExpression": "attribute_not_exists(pk)"}


ALERT = "alert"  # a leak-guard notice (core.sales.Alert), not a sale


def alert_key(notice_id: str, target: str) -> str:
    return f"OUTBOX#ALERT#{notice_id}#{target}"


def put_alert(table: Table, notice_id: str, target: str, event: str, body: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The Put (for a transaction) of a pending leak-guard notice to one target: delivered, retried
    and re-driven like a sale event, one item (and one delivery id) per notice and target."""
    pk = alert_key(notice_id, target)
    index = _index(PENDING, pk, now.isoformat())
    item = {**key(pk), "event": ALERT, "partner": target, "alert": {"event": event, "body": json.dumps(body)},
            "state": PENDING, "attempts": 0, "created_at": now, "gsi1pk": index[":gpk"], "gsi1sk": index[":gsk"]}
    return {"Item": table.serialize(item), "ConditionExpression": "attribute_not_exists(pk)"}


class NotClaimed(Exception):
    """Someone else holds the event's lease, or it needs no delivery any more (``state``)."""

    def __init__(self, state: str | None):
        super().__init__(state)
        self.state = state


def claim(table: Table, pk: str, now: float, lease_seconds: int) -> tuple[dict[str, Any], str]:
    """Take the event for one delivery attempt: ``(item, lease token)``."""
    token = uuid.uuid4().hex
    try:
        answer = table.update(
            Key=table.serialize(key(pk)),
            UpdateExpression="SET lease_until = :until, lease_token = :token, attempts = attempts + :one",
            ConditionExpression="#state = :pending AND (attribute_not_exists(lease_until) OR lease_until < :now)",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues=table.values(
                {":until": int(now) + lease_seconds, ":token": token, ":one": 1, ":pending": PENDING, ":now": int(now)}
            ),
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ConditionsFailed as refused:
        old = refused.item(ITEM) or {}
        raise NotClaimed(old.get("state")) from None
    return table.deserialize(answer["Attributes"]), token


def finish(table: Table, item: dict[str, Any], token: str, state: str, note: str, now: datetime) -> bool:
    """Mark a claimed event delivered (it leaves the index) or skipped (listed, to re-drive once
    the partner can take it); False if our lease was lost meanwhile."""
    values = {":state": state, ":now": now, ":note": note}
    if state == SKIPPED:
        values.update(_index(SKIPPED, item["pk"], str(item["created_at"])))
        update = ("SET #state = :state, finished_at = :now, note = :note, gsi1pk = :gpk, gsi1sk = :gsk "
                  "REMOVE lease_until, lease_token")
    else:
        update = "SET #state = :state, finished_at = :now, note = :note REMOVE gsi1pk, gsi1sk, lease_until, lease_token"
    return _release(table, item, token, update, values)


def fail(table: Table, item: dict[str, Any], token: str, error: str, next_attempt_at: float, dead: bool) -> bool:
    """Record a failed attempt: back to pending for a later retry, or dead."""
    state = DEAD if dead else PENDING
    index = _index(state, item["pk"], str(item["created_at"]))
    return _release(
        table, item, token,
        "SET #state = :state, last_error = :error, next_attempt_at = :next, gsi1pk = :gpk, gsi1sk = :gsk "
        "REMOVE lease_until, lease_token",
        {":state": state, ":error": error[:1000], ":next": int(next_attempt_at), **index},
    )


def _release(table: Table, item: dict[str, Any], token: str, update: str, values: dict[str, Any]) -> bool:
    try:
        table.update(
            Key=table.serialize(key(item["pk"])),
            UpdateExpression=update,
            ConditionExpression="lease_token = :token",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues=table.values({**values, ":token": token}),
        )
    except ConditionsFailed:
        return False
    return True


def rearm(table: Table, pk: str, from_states: tuple[str, ...] = (DEAD,)) -> bool:
    """Send a dead (or skipped) event again from scratch. Setting ``attempts`` back to 0 is what
    the stream filter in template.yaml picks up, as for a new event. False if not in those states."""
    got = table.call("get_item", Key=table.serialize(key(pk)), ConsistentRead=True).get("Item")
    if not got:
        return False
    item = table.deserialize(got)
    index = _index(PENDING, pk, str(item["created_at"]))
    placeholders = {f":s{i}": s for i, s in enumerate(from_states)}
    # A pending event that never reached the queue (the pipe lost it) may be sent again, but never
    # one a sender holds right now: its lease must be absent or over.
    free = "(attribute_not_exists(lease_until) OR lease_until < :now)"
    try:
        table.update(
            Key=table.serialize(key(pk)),
            UpdateExpression="SET #state = :pending, attempts = :zero, gsi1pk = :gpk, gsi1sk = :gsk "
            "REMOVE next_attempt_at, lease_until, lease_token",
            ConditionExpression=f"#state IN ({', '.join(placeholders)}) AND {free}",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues=table.values({":pending": PENDING, ":zero": 0, ":now": int(time.time()),
                                                    **index, **placeholders}),
        )
    except ConditionsFailed:
        return False
    return True


def in_state(table: Table, state: str) -> Iterator[dict[str, Any]]:
    """Events in ``state`` (pending, dead, skipped), oldest first within each shard."""
    for shard in range(SHARDS):
        yield from table.query_all(
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :p",
            ExpressionAttributeValues=table.values({":p": f"OUTBOX#{state}#{shard}"}),
        )

"""Redemptions, written together with the code they use (and their outbox event) in one transaction.

Every item sits in the code's own partition (a card's balance and history are one Query), except
tracked sales (``SALE#<order digest>``); the keys: docs/architecture.md, "One table"."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from coupons.checkout.rules import order_digest
from coupons.core import account_items, card_items, code_items, outbox, sale_items
from coupons.core.models import CodeRecord, DiscountKind
from coupons.core.sales import Redemption, RedemptionState, Refund
from coupons.core.table import Table

SALES_SHARDS = 8  # spreads one day's sales over several index partitions (writes per partition)


def redemption_key(code: str, digest: str) -> dict[str, str]:
    return {"pk": code_items.key(code)["pk"], "sk": f"{sale_items.REDEMPTION_PREFIX}{digest}"}


def customer_key(code: str, customer: str) -> dict[str, str]:
    return {"pk": code_items.key(code)["pk"], "sk": f"CUSTOMER#{customer}"}


def refund_key(code: str, digest: str, refund_id: str) -> dict[str, str]:
    return {"pk": code_items.key(code)["pk"], "sk": f"REFUND#{digest}#{hashlib.sha256(refund_id.encode()).hexdigest()[:24]}"}


def tracked_sale_key(digest: str) -> dict[str, str]:
    return {"pk": f"SALE#{digest}", "sk": "SALE"}


def sales_partition(day: date, shard: int) -> str:
    return f"SALES#{day.isoformat()}#{shard}"


def to_item(redemption: Redemption) -> dict[str, Any]:
    digest = order_digest(redemption.order_id)
    shard = int(hashlib.sha256(redemption.id.encode()).hexdigest(), 16) % SALES_SHARDS
    key = redemption_key(redemption.code, digest) if redemption.code else tracked_sale_key(digest)
    return {
        **redemption.model_dump(),
        **key,
        "gsi1pk": sales_partition(redemption.created_at.date(), shard),
        "gsi1sk": f"{redemption.created_at.isoformat()}#{redemption.id}",
    }


def from_item(item: dict[str, Any]) -> Redemption:
    return Redemption.model_validate(item)


def refund_from_item(item: dict[str, Any]) -> Refund:
    return Refund.model_validate(item)


# ---- reads -------------------------------------------------------------------------------------


def read(table: Table, **keys: dict[str, Any]) -> dict[str, dict[str, Any] | None]:
    """The items at ``keys`` (name -> a key of this module, ``core.code_items`` or
    ``core.account_items``), read consistently in one BatchGetItem; None where there is none."""
    return dict(zip(keys, table.get_many(list(keys.values()), consistent=True), strict=True))


def code_partition(table: Table, code: str) -> tuple[CodeRecord | None, list[Redemption]]:
    """A code and its redemptions (oldest first), in one Query."""
    record, history = None, []
    for item in table.query_all(
        KeyConditionExpression="pk = :pk", ExpressionAttributeValues=table.values({":pk": code_items.key(code)["pk"]})
    ):
        if item["sk"] == code_items.SK:
            record = code_items.from_item(item)
        elif item["sk"].startswith(sale_items.REDEMPTION_PREFIX):
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


def redeem(table: Table, redemption: Redemption, record: CodeRecord, customer_limit: int | None,
           key_check: tuple[dict[str, Any], str] | None = None, whole_balance: bool = False,
           rate_parts: dict[str, dict[str, Any]] | None = None) -> None:
    """Use the code once, record the redemption and queue its sale event, all or nothing: the one
    DynamoDB call of a redemption.

    The conditions hold use, balance and every value ``record`` was computed from, so an out-of-date
    ``record`` fails instead of charging by old values; ``ConditionsFailed`` names the failed parts
    (docs/checkout.md, "Concurrency design"; ``rate_parts``: docs/money.md, Calls)."""
    today = redemption.created_at.date()
    kind, owner = record.discount.kind, record.owner
    names = {"#status": "status", "#uses": "uses", "#max": "max_uses", "#kind": "kind",
             "#starts": "starts_on", "#expires": "expires_on", "#partner": "partner", "#account": "account",
             "#person": "person", "#per_customer": "max_uses_per_customer",
             "#paused": "paused_at"}
    values: dict[str, Any] = {":one": 1, ":active": "active", ":today": today, ":kind": kind,
                              ":partner": owner.partner, ":account": owner.account}
    update = "SET #uses = #uses + :one"
    condition = [
        "#status = :active AND #kind = :kind AND attribute_not_exists(#paused)",
        "(attribute_not_exists(#max) OR #uses < #max)",
        "(attribute_not_exists(#starts) OR #starts <= :today)",
        "(attribute_not_exists(#expires) OR #expires >= :today)",
        "#partner = :partner AND #account = :account",
    ]
    if owner.person is None:
        condition.append("attribute_not_exists(#person)")
    else:
        condition.append("#person = :person")
        values[":person"] = owner.person
    if customer_limit is None:
        condition.append("attribute_not_exists(#per_customer)")
    else:
        condition.append("#per_customer = :limit")
        values[":limit"] = customer_limit
    if kind in (DiscountKind.PERCENT, DiscountKind.FIXED):
        names["#value"] = "value"
        values[":value"] = record.discount.value
        condition.append("#value = :value")
    converted = redemption.gift_card_debit or redemption.discount_conversion
    if kind in (DiscountKind.FIXED, DiscountKind.GIFT_CARD):
        names["#currency"] = "currency"
        values[":currency"] = converted.currency if converted else redemption.cart.currency
        condition.append("#currency = :currency")
    if kind is DiscountKind.GIFT_CARD:
        names["#balance"] = "balance"
        values[":amount"] = redemption.gift_card_taken  # in the card's currency
        update += ", #balance = #balance - :amount"
        if whole_balance and redemption.gift_card_debit:  # paid all the card could: the balance as read
            values[":whole"] = record.balance
            condition.append("#balance = :whole")
        else:
            condition.append("#balance = :amount" if whole_balance else "#balance >= :amount")
        condition.append(_card_ref_is(names, values, record.card_ref))
    parts: dict[str, dict[str, Any]] = {}
    if key_check is not None:
        account_key, secret_hash = key_check
        parts["key"] = {"ConditionCheck": {
            "Key": table.serialize(account_key),
            "ConditionExpression": "secret_hash = :hash",
            "ExpressionAttributeValues": table.values({":hash": secret_hash}),
        }}
    parts["code"] = {"Update": {
        "Key": table.serialize(code_items.key(record.code)),
        "UpdateExpression": update,
        "ConditionExpression": " AND ".join(condition),
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": table.values(values),
    }}
    parts["redemption"] = {"Put": {
        "Item": table.serialize(to_item(redemption)),
        "ConditionExpression": "attribute_not_exists(pk)",
    }}
    parts["event"] = {"Put": outbox.put(table, redemption, outbox.SALE, redemption.created_at)}
    if kind is DiscountKind.GIFT_CARD:
        parts.update(_card_move(table, redemption, card_items.DEBIT, redemption.created_at, redemption.gift_card_taken))
    parts.update(rate_parts or {})
    if customer_limit is not None and redemption.customer_key:
        parts["customer"] = {"Update": {
            "Key": table.serialize(customer_key(record.code, redemption.customer_key)),
            "UpdateExpression": "SET #uses = if_not_exists(#uses, :zero) + :one",
            "ConditionExpression": "attribute_not_exists(#uses) OR #uses < :limit",
            "ExpressionAttributeNames": {"#uses": "uses"},
            "ExpressionAttributeValues": table.values({":zero": 0, ":one": 1, ":limit": customer_limit}),
        }}
    table.transact(parts)


def roll_back(table: Table, redemption: Redemption, now: datetime) -> None:
    """Give the use (and what is left of a gift card's amount after partial refunds) back, once:
    the redemption's state moves from redeemed to rolled back in the same transaction, so a second
    call fails the condition of ``redemption`` and changes nothing. The condition also holds
    ``refunded`` where it was read: a refund in between fails it, and the caller reads again."""
    digest = order_digest(redemption.order_id)
    code_update = "SET #uses = #uses - :one"
    names = {"#uses": "uses"}
    values: dict[str, Any] = {":one": 1}
    if redemption.kind is DiscountKind.GIFT_CARD:
        code_update += ", #balance = #balance + :amount"
        names["#balance"] = "balance"
        values[":amount"] = redemption.gift_card_taken - redemption.gift_card_returned  # card currency
    rolled_back = redemption.model_copy(update={"state": RedemptionState.ROLLED_BACK, "rolled_back_at": now})
    held_names = {"#state": "state", "#refunded": "refunded"}
    held: dict[str, Any] = {":rolled_back": RedemptionState.ROLLED_BACK, ":redeemed": RedemptionState.REDEEMED,
                            ":now": now, ":before": redemption.refunded}
    ref_is = _card_ref_is(held_names, held, redemption.card_ref)
    parts = {
        "redemption": {"Update": {
            "Key": table.serialize(redemption_key(redemption.code, digest)),
            "UpdateExpression": "SET #state = :rolled_back, rolled_back_at = :now",
            "ConditionExpression": f"#state = :redeemed AND {_refunded_is(redemption.refunded)} AND {ref_is}",
            "ExpressionAttributeNames": held_names,
            "ExpressionAttributeValues": table.values(held),
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
    if redemption.kind is DiscountKind.GIFT_CARD:
        parts.update(_card_move(table, redemption, card_items.ROLLBACK, now, values[":amount"]))
    if redemption.customer_key:
        parts["customer"] = {"Update": {
            "Key": table.serialize(customer_key(redemption.code, redemption.customer_key)),
            "UpdateExpression": "SET #uses = #uses - :one",
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeNames": {"#uses": "uses"},
            "ExpressionAttributeValues": table.values({":one": 1}),
        }}
    table.transact(parts)


def _card_ref_is(names: dict[str, str], values: dict[str, Any], card_ref: str | None) -> str:
    """The condition that the item's ``card_ref`` is still as read: a card named by the upgrade
    (``reports name-cards``) in between fails it, so no move escapes the card's ledger items."""
    names["#card_ref"] = "card_ref"
    if card_ref is None:
        return "attribute_not_exists(#card_ref)"
    values[":card_ref"] = card_ref
    return "#card_ref = :card_ref"


def _card_move(table: Table, redemption: Redemption, kind: str, at: datetime, amount: Decimal,
               source_sk: str | None = None) -> dict[str, dict[str, Any]]:
    """A gift card's ledger move (``core.card_items``) as a transaction part; none for a card
    stored before card refs (its backfill writes them) or for nothing moved."""
    if redemption.card_ref is None or amount <= 0:
        return {}
    sk = source_sk or redemption_key(redemption.code, order_digest(redemption.order_id))["sk"]
    return {"card_move": card_items.put(table, card_items.move_item(redemption.card_ref, kind, sk, at, amount))}


def _refunded_is(before: Decimal) -> str:
    """The condition that ``refunded`` is still ``before`` (items written before partial refunds
    existed have no such attribute, which means 0)."""
    return "(attribute_not_exists(#refunded) OR #refunded = :before)" if before == 0 else "#refunded = :before"


def refund(table: Table, redemption: Redemption, given: Refund, now: datetime) -> Redemption:
    """Record one partial refund: the redemption's running totals, the gift card's share back on
    its balance, the refund item (one per refund id) and its event, all or nothing.

    The redemption's condition is ``state = redeemed AND refunded = <as read>``: the caller checked
    ``refunded + amount <= order total`` on that very value, so whatever the concurrency, refunds
    never add up to more than the order total. A refund that lost a race fails the condition and is
    computed again from a new read. ``ConditionsFailed`` names ``redemption`` or ``refund`` (this
    refund id was recorded already). Returns the redemption as it now stands."""
    digest = order_digest(redemption.order_id)
    after = redemption.model_copy(update={
        "refunded": redemption.refunded + given.amount,
        "gift_card_refunded": redemption.gift_card_refunded + given.gift_card_amount,
        "gift_card_debit_refunded": redemption.gift_card_debit_refunded + (given.gift_card_debit or 0),
    })
    back = given.gift_card_amount if given.gift_card_debit is None else given.gift_card_debit  # card currency
    held_names = {"#state": "state", "#refunded": "refunded"}
    held: dict[str, Any] = {
        ":redeemed": RedemptionState.REDEEMED, ":before": redemption.refunded, ":after": after.refunded,
        ":gift_after": after.gift_card_refunded,
        **({":debit_after": after.gift_card_debit_refunded} if given.gift_card_debit is not None else {})}
    ref_is = _card_ref_is(held_names, held, redemption.card_ref)
    refund_sk = refund_key(redemption.code, digest, given.refund_id)
    parts: dict[str, dict[str, Any]] = {
        "redemption": {"Update": {
            "Key": table.serialize(redemption_key(redemption.code, digest)),
            "UpdateExpression": "SET #refunded = :after, gift_card_refunded = :gift_after"
                                + (", gift_card_debit_refunded = :debit_after" if given.gift_card_debit is not None else ""),
            "ConditionExpression": f"#state = :redeemed AND {_refunded_is(redemption.refunded)} AND {ref_is}",
            "ExpressionAttributeNames": held_names,
            "ExpressionAttributeValues": table.values(held),
        }},
        "refund": {"Put": {
            "Item": table.serialize({**refund_sk, **given.model_dump(),
                                     "redemption_id": redemption.id, "card_ref": redemption.card_ref}),
            "ConditionExpression": "attribute_not_exists(pk)",
        }},
        "event": {"Put": outbox.put(table, after, outbox.REFUND, now, given)},
    }
    if redemption.kind is DiscountKind.GIFT_CARD:
        parts.update(_card_move(table, redemption, card_items.REFUND, given.created_at, back, refund_sk["sk"]))
    if back > 0:
        parts["code"] = {"Update": {
            "Key": table.serialize(code_items.key(redemption.code)),
            "UpdateExpression": "SET #balance = #balance + :amount",
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeNames": {"#balance": "balance"},
            "ExpressionAttributeValues": table.values({":amount": back}),
        }}
    table.transact(parts)
    return after


def record_tracked_sale(table: Table, sale: Redemption) -> None:
    """Record an order attributed by a tracking reference and queue its sale event, once per order
    id (``sale`` fails its condition on a repeat). ``account``: the partner account the sale is
    reported for must exist; a ConditionCheck, so the checkout needs no right to read it."""
    parts = {
        "account": {"ConditionCheck": {
            "Key": table.serialize(account_items.key(sale.owner.partner, sale.owner.account)),
            "ConditionExpression": "attribute_exists(pk)",
        }},
        "sale": {"Put": {
            "Item": table.serialize(to_item(sale)),
            "ConditionExpression": "attribute_not_exists(pk)",
        }},
        "event": {"Put": outbox.put(table, sale, outbox.SALE, sale.created_at)},
    }
    table.transact(parts)

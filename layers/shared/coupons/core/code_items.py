"""Code items: ``pk = CODE#<canonical code>``, ``sk = CODE``; listed per owner on ``gsi1``."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

from coupons.core import card_items
from coupons.core.models import CodeRecord, Discount, DiscountKind, Owner
from coupons.core.table import ITEM, ConditionsFailed, Table

SK = "CODE"


class CodeExists(Exception):
    """The conditional put found the code taken; ``existing`` is the item that holds it."""

    def __init__(self, existing: CodeRecord):
        super().__init__(existing.code)
        self.existing = existing


PK_PREFIX = "CODE#"  # a code's partition; its redemptions, refunds and customers live there too


def key(code: str) -> dict[str, Any]:
    return {"pk": f"{PK_PREFIX}{code}", "sk": SK}


def owner_partition(partner: str, account: str) -> str:
    return f"OWNER#{partner}#{account}"


def to_item(record: CodeRecord) -> dict[str, Any]:
    data = record.model_dump(exclude={"discount", "owner"})
    if record.discount.kind is DiscountKind.GIFT_CARD and record.card_ref is None:
        data["card_ref"] = secrets.token_hex(10)  # random: names the card, never its code
    data.update(
        kind=record.discount.kind,
        value=record.discount.value,
        currency=record.discount.currency,
        partner=record.owner.partner,
        account=record.owner.account,
        person=record.owner.person,
        gsi1pk=owner_partition(record.owner.partner, record.owner.account),
        gsi1sk=f"{record.created_at.isoformat()}#{record.code}",
        **key(record.code),
    )
    return data


def from_item(item: dict[str, Any]) -> CodeRecord:
    return CodeRecord(
        discount=Discount(kind=item["kind"], value=item.get("value"), currency=item.get("currency")),
        owner=Owner(partner=item["partner"], account=item["account"], person=item.get("person")),
        **{k: v for k, v in item.items() if k in CodeRecord.model_fields and k not in ("discount", "owner")},
    )


def create(table: Table, record: CodeRecord, budget: dict[str, Any] | None = None) -> None:
    """Put ``record`` if its code is free, in one conditional write (with ``budget``, a day's counter
    part from ``core.issuing``; a gift card, its ledger item ``core.card_items``: one transaction,
    ``ConditionsFailed`` when the counter refuses). On a clash DynamoDB hands back the item that holds
    the code, so a retry is told from a duplicate without a second read (``CodeExists``)."""
    item = to_item(record)
    parts = card_parts(table, record, item["card_ref"]) if item.get("card_ref") else {}
    if budget is not None:
        parts["budget"] = budget
    put = {"Item": table.serialize(item), "ConditionExpression": "attribute_not_exists(pk)"}
    if parts:
        try:
            table.transact({"code": {"Put": put}, **parts})
        except ConditionsFailed as refused:
            holder = refused.item("code")
            if "code" in refused and holder is not None:
                raise CodeExists(from_item(holder)) from None
            raise
        return
    try:
        table.put(**put, ReturnValuesOnConditionCheckFailure="ALL_OLD")
    except ConditionsFailed as refused:
        raise CodeExists(from_item(refused.item(ITEM) or {})) from None


def card_parts(table: Table, record: CodeRecord, card_ref: str) -> dict[str, Any]:
    """A new gift card's ledger item, to write in the card's own transaction."""
    return {"card": card_items.put(table, card_items.card_item(record, card_ref))}


def get(table: Table, code: str, consistent: bool = False) -> CodeRecord | None:
    item = table.call("get_item", Key=table.serialize(key(code)), ConsistentRead=consistent).get("Item")
    return from_item(table.deserialize(item)) if item else None


def list_by_owner(table: Table, partner: str, account: str) -> Iterator[CodeRecord]:
    for item in table.query_all(
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :owner",
        ExpressionAttributeValues=table.values({":owner": owner_partition(partner, account)}),
    ):
        yield from_item(item)

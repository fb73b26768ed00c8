"""Reads for the finance reports (``coupons.core.ledger``): gift cards with their redemptions and
refunds, every redemption and tracked sale with its refunds.

``scan``: the admin CLI's, one paginated Scan of the table, filtered to those items and projected
to ``ATTRIBUTES`` (no key hash, setting or secret); it costs the table's size in read units
(docs/money.md, "What a report costs"). The checkout's ``GET /checkout/reports/gift-cards`` reads
the code-free ledger items instead (``core.card_items``); ``name_cards`` writes them for cards
stored before them.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from coupons.checkout import items
from coupons.core import card_items, code_items, sale_items
from coupons.core.ledger import Card
from coupons.core.models import DiscountKind
from coupons.core.sales import Redemption, RedemptionState, Refund
from coupons.core.table import ConditionsFailed, Table

# Every top-level attribute a report reads (code items, redemptions, tracked sales, refunds).
ATTRIBUTES = sorted({
    "pk", "sk", "code", "kind", "value", "currency", "balance", "partner", "account", "person", "status",
    "max_uses", "uses", "max_uses_per_customer", "starts_on", "expires_on", "created_at", "fingerprint",
    "id", "order_id", "state", "cart", "discount", "shipping_discount", "gift_card_amount", "owner", "ref",
    "rolled_back_at", "refunded", "gift_card_refunded", "gift_card_debit", "gift_card_debit_refunded",
    "discount_conversion", "refund_id", "amount", "goods_amount", "redemption_id",
})
REFUND_PREFIX = "REFUND#"


@dataclass(frozen=True)
class MoneyItems:
    cards: list[Card]
    sales: list[Redemption]  # redemptions and tracked sales
    refunds: list[tuple[Redemption, Refund]]


def scan(table: Table) -> MoneyItems:
    names = {f"#a{n}": name for n, name in enumerate(ATTRIBUTES)}
    kwargs: dict[str, Any] = {
        "ProjectionExpression": ", ".join(names),
        "ExpressionAttributeNames": {**names, "#kind": "kind"},
        # Redemptions and refunds only in a code's partition: other partners keep their own
        # REDEMPTION# items (SiteVibes' codeless rewards) that are no sale.
        "FilterExpression": "(sk = :code AND #kind = :gift) OR sk = :sale OR (begins_with(pk, :code_pk) "
                            "AND (begins_with(sk, :redemption) OR begins_with(sk, :refund)))",
        "ExpressionAttributeValues": table.values({
            ":code": code_items.SK, ":gift": DiscountKind.GIFT_CARD, ":redemption": sale_items.REDEMPTION_PREFIX,
            ":refund": REFUND_PREFIX, ":sale": "SALE", ":code_pk": code_items.PK_PREFIX}),
        "Select": "SPECIFIC_ATTRIBUTES",
    }
    codes: dict[str, Card] = {}
    sales: list[Redemption] = []
    refund_items: list[dict[str, Any]] = []
    for item in table.scan_all(**kwargs):
        sk = item["sk"]
        if sk == code_items.SK:
            codes[item["pk"]] = Card(code_items.from_item(item))
        elif sk.startswith(REFUND_PREFIX):
            refund_items.append(item)
        else:
            sales.append(items.from_item(item))
    by_id = {s.id: s for s in sales}
    refunds: list[tuple[Redemption, Refund]] = []
    per_code: dict[str, list[tuple[str, Refund]]] = defaultdict(list)
    for item in refund_items:
        refund = items.refund_from_item(item)
        if (sale := by_id.get(item["redemption_id"])) is not None:
            refunds.append((sale, refund))
        per_code[item["pk"]].append((item["redemption_id"], refund))
    for s in sales:
        if s.code and (card := codes.get(code_items.key(s.code)["pk"])) is not None:
            card.redemptions.append(s)
    for pk, found in per_code.items():
        if (card := codes.get(pk)) is not None:
            card.refunds.extend(found)
    return MoneyItems(list(codes.values()), sales, refunds)


def name_cards(table: Table) -> int:
    """Give each gift card stored before ``card_ref`` existed its ref, copy it onto its redemptions
    and refunds, and write its ledger items (``core.card_items``) from them (admin CLI, once per
    upgrade; safe to run again: every ledger key derives from its source, each Put is new-only).
    Returns the cards named or given ledger items."""
    kwargs: dict[str, Any] = {
        "ProjectionExpression": "pk, card_ref", "ExpressionAttributeNames": {"#kind": "kind"},
        "FilterExpression": "sk = :code AND #kind = :gift",
        "ExpressionAttributeValues": table.values({":code": code_items.SK, ":gift": DiscountKind.GIFT_CARD})}
    cards = list(table.scan_all(**kwargs))
    done = 0
    for card in cards:
        ref = card.get("card_ref") or _name(table, card["pk"])
        done += _mirror(table, card["pk"], ref)
    return done


def _name(table: Table, pk: str) -> str:
    """The card's ref (drawn now unless a concurrent run drew one), copied onto its items."""
    named = table.update(Key=table.serialize({"pk": pk, "sk": code_items.SK}),
                         UpdateExpression="SET card_ref = if_not_exists(card_ref, :ref)",
                         ExpressionAttributeValues=table.values({":ref": secrets.token_hex(10)}),
                         ReturnValues="UPDATED_NEW")
    ref: str = table.deserialize(named["Attributes"])["card_ref"]
    for part in table.query_all(KeyConditionExpression="pk = :pk", ProjectionExpression="pk, sk",
                                ExpressionAttributeValues=table.values({":pk": pk}), ConsistentRead=True):
        if part["sk"].startswith((sale_items.REDEMPTION_PREFIX, REFUND_PREFIX)):
            table.update(Key=table.serialize(part), UpdateExpression="SET card_ref = :ref",
                         ConditionExpression="attribute_exists(pk)",
                         ExpressionAttributeValues=table.values({":ref": ref}))
    return ref


def _mirror(table: Table, pk: str, ref: str) -> int:
    """Write the ledger items the card's own items call for and that are not there yet (a live
    write in the same transaction as its source already wrote the same key). 1 if any was new."""
    record, moves = None, []
    for item in table.query_all(KeyConditionExpression="pk = :pk", ConsistentRead=True,
                                ExpressionAttributeValues=table.values({":pk": pk})):
        sk = item["sk"]
        if sk == code_items.SK:
            record = code_items.from_item(item)
        elif sk.startswith(sale_items.REDEMPTION_PREFIX):
            r = items.from_item(item)
            moves.append(card_items.move_item(ref, card_items.DEBIT, sk, r.created_at, r.gift_card_taken))
            if r.state is RedemptionState.ROLLED_BACK and r.rolled_back_at is not None:
                moves.append(card_items.move_item(ref, card_items.ROLLBACK, sk, r.rolled_back_at,
                                                   r.gift_card_taken - r.gift_card_returned))
        elif sk.startswith(REFUND_PREFIX):
            refund = items.refund_from_item(item)
            moves.append(card_items.move_item(ref, card_items.REFUND, sk, refund.created_at, refund.gift_card_credit))
    if record is None:
        return 0
    written = 0
    for found in [card_items.card_item(record, ref), *(m for m in moves if m["amount"] > 0)]:
        try:
            table.put(Item=table.serialize(found), ConditionExpression="attribute_not_exists(pk)")
            written = 1
        except ConditionsFailed:
            pass  # there already
    return written

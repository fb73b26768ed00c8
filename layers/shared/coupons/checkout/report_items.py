"""Reads for the finance reports (``coupons.core.ledger``): gift cards with their redemptions and
refunds, every redemption and tracked sale with its refunds.

Each is one paginated Scan of the table, filtered to those items and projected to the attributes a
report needs; it costs the table's size in read units (docs/money.md, "What a report costs").
``scan``: the admin CLI's (``ATTRIBUTES``: no key hash, setting or secret). ``card_moves``: the
checkout's ``GET /checkout/reports/gift-cards``, ``CARD_ATTRIBUTES`` only, which name no code
(cards, redemptions and refunds meet by ``card_ref``); its IAM policy allows a Scan of no others.
"""

from __future__ import annotations

import secrets
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from coupons.checkout import items
from coupons.core import code_items, sale_items
from coupons.core.errors import Unavailable
from coupons.core.ledger import Card, CardMoves
from coupons.core.models import DiscountKind
from coupons.core.sales import Redemption, Refund
from coupons.core.table import Table

# Every top-level attribute a report reads (code items, redemptions, tracked sales, refunds).
ATTRIBUTES = sorted({
    "pk", "sk", "code", "kind", "value", "currency", "balance", "partner", "account", "person", "status",
    "max_uses", "uses", "max_uses_per_customer", "starts_on", "expires_on", "created_at", "fingerprint",
    "id", "order_id", "state", "cart", "discount", "shipping_discount", "gift_card_amount", "owner", "ref",
    "rolled_back_at", "refunded", "gift_card_refunded", "gift_card_debit", "gift_card_debit_refunded",
    "discount_conversion", "refund_id", "amount", "goods_amount", "redemption_id",
})
REFUND_PREFIX = "REFUND#"
# What the checkout's liability report may read (template.yaml: CheckoutFunction's Scan statement,
# dynamodb:Attributes): no pk, code, id or redemption_id, each of which holds a gift card's code.
CARD_ATTRIBUTES = sorted({
    "sk", "kind", "value", "currency", "created_at", "expires_on", "card_ref", "state", "rolled_back_at",
    "gift_card_amount", "gift_card_debit", "gift_card_refunded", "gift_card_debit_refunded",
})


class TooLarge(Unavailable):
    """The Scan did not finish within the request's time: the table is too large for one request."""


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
        "FilterExpression": "(sk = :code AND #kind = :gift) OR begins_with(sk, :redemption) "
                            "OR begins_with(sk, :refund) OR sk = :sale",
        "ExpressionAttributeValues": table.values({
            ":code": code_items.SK, ":gift": DiscountKind.GIFT_CARD, ":redemption": sale_items.REDEMPTION_PREFIX,
            ":refund": REFUND_PREFIX, ":sale": "SALE"}),
        "Select": "SPECIFIC_ATTRIBUTES",
    }
    codes: dict[str, Card] = {}
    sales: list[Redemption] = []
    refund_items: list[dict[str, Any]] = []
    while True:
        page = table.call("scan", **kwargs)
        for raw in page.get("Items", []):
            item = table.deserialize(raw)
            sk = item["sk"]
            if sk == code_items.SK:
                codes[item["pk"]] = Card(code_items.from_item(item))
            elif sk.startswith(REFUND_PREFIX):
                refund_items.append(item)
            else:
                sales.append(items.from_item(item))
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
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


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def card_moves(table: Table, deadline: float, page_items: int | None = None) -> list[CardMoves]:
    """Every gift card's moves, read without any code. ``deadline``: a ``time.monotonic()`` after
    which no further page is asked for (``TooLarge``), so the answer is all or nothing.
    ``page_items``: the Scan's Limit (tests; DynamoDB's own page is 1 MB)."""
    names = {f"#a{n}": name for n, name in enumerate(CARD_ATTRIBUTES)}
    short = {name: alias for alias, name in names.items()}
    kwargs: dict[str, Any] = {
        "ProjectionExpression": ", ".join(names),
        "ExpressionAttributeNames": names,
        # Gift-card items (card_ref), and gift cards without one, which cannot be grouped (refused below).
        "FilterExpression": f"attribute_exists({short['card_ref']}) OR ({short['sk']} = :code AND {short['kind']} = :gift)",
        "ExpressionAttributeValues": table.values({":code": code_items.SK, ":gift": DiscountKind.GIFT_CARD}),
        "Select": "SPECIFIC_ATTRIBUTES",
        **({"Limit": page_items} if page_items else {}),
    }
    cards: dict[str, CardMoves] = {}
    redeemed: list[dict[str, Any]] = []
    refunds: list[dict[str, Any]] = []
    unnamed = pages = 0
    while True:
        if pages and time.monotonic() > deadline:
            raise TooLarge(f"The gift-card report reads the whole table and did not finish within one request "
                           f"({pages} pages read); run 'coupons-admin reports gift-cards', which has no "
                           "time limit")
        page = table.call("scan", **kwargs)
        pages += 1
        for raw in page.get("Items", []):
            item = table.deserialize(raw)
            sk, ref = item["sk"], item.get("card_ref")
            if ref is None:  # a gift card stored before card refs (the filter lets only those through)
                unnamed += 1
            elif sk == code_items.SK:
                expires = item.get("expires_on")
                cards[ref] = CardMoves(item.get("currency") or "", item.get("value") or Decimal(0), _at(item["created_at"]),
                                       date.fromisoformat(expires) if expires else None)
            elif sk.startswith(sale_items.REDEMPTION_PREFIX):
                redeemed.append(item)
            elif sk.startswith(REFUND_PREFIX):
                refunds.append(item)
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    if unnamed:
        raise Unavailable(f"{unnamed} gift cards were stored before cards had a card_ref; run "
                          "'coupons-admin reports name-cards' once, then ask again")
    for item in redeemed:
        if (card := cards.get(item["card_ref"])) is not None:
            debit = item.get("gift_card_debit")
            taken = debit["amount"] if debit else item["gift_card_amount"]
            returned = item.get("gift_card_debit_refunded", 0) if debit else item.get("gift_card_refunded", 0)
            rolled_back = item.get("state") == "rolled_back"
            card.redeemed(_at(item["created_at"]), taken, _at(item["rolled_back_at"]) if rolled_back else None,
                          taken - returned if rolled_back else None)
    for item in refunds:
        if (card := cards.get(item["card_ref"])) is not None:
            debit = item.get("gift_card_debit")
            card.credits.append((_at(item["created_at"]), item["gift_card_amount"] if debit is None else debit))
    return list(cards.values())


def name_cards(table: Table) -> int:
    """Give each gift card stored before ``card_ref`` existed its ref, and copy it onto its
    redemptions and refunds (admin CLI, once; safe to run again). Returns the cards named."""
    kwargs: dict[str, Any] = {
        "ProjectionExpression": "pk", "ExpressionAttributeNames": {"#kind": "kind"},
        "FilterExpression": "sk = :code AND #kind = :gift AND attribute_not_exists(card_ref)",
        "ExpressionAttributeValues": table.values({":code": code_items.SK, ":gift": DiscountKind.GIFT_CARD})}
    unnamed: list[str] = []
    while True:
        page = table.call("scan", **kwargs)
        unnamed += [table.deserialize(raw)["pk"] for raw in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    for pk in unnamed:
        named = table.update(Key=table.serialize({"pk": pk, "sk": code_items.SK}),
                             UpdateExpression="SET card_ref = if_not_exists(card_ref, :ref)",
                             ExpressionAttributeValues=table.values({":ref": secrets.token_hex(10)}),
                             ReturnValues="UPDATED_NEW")
        ref = table.deserialize(named["Attributes"])["card_ref"]
        for part in table.query_all(KeyConditionExpression="pk = :pk", ProjectionExpression="pk, sk",
                                    ExpressionAttributeValues=table.values({":pk": pk})):
            if part["sk"].startswith((sale_items.REDEMPTION_PREFIX, REFUND_PREFIX)):
                table.update(Key=table.serialize(part), UpdateExpression="SET card_ref = :ref",
                             ConditionExpression="attribute_exists(pk)",
                             ExpressionAttributeValues=table.values({":ref": ref}))
    return len(unnamed)

"""Reads for the finance reports (``coupons.core.ledger``): gift cards with their redemptions and
refunds, every redemption and tracked sale with its refunds.

One paginated Scan of the table, filtered to those items and projected to the attributes the
reports need (``ATTRIBUTES``: no key hash, setting or secret is ever read, and the reports
admin CLI reads them with its own credentials). A report is an occasional
finance read, not a request path: the Scan costs the table's size in read units, once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from coupons.checkout import items
from coupons.core import code_items, sale_items
from coupons.core.ledger import Card
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

"""Purchases, recorded once per order id and attributed to the advocate whose code was used.

Friendbuy attributes by referral code first, then by coupon code; a coupon code is enough
(in-store and offline orders carry no referral code). An order nobody can be credited with is
still recorded, unattributed, with the reason. ``record_purchase`` is the entry point for any
caller (the Friendbuy purchase route, and the brand's checkout for sales made with a bank code).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from coupons.core import code_items, codes
from coupons.core.errors import InvalidRequest, Unavailable
from coupons.core.models import utcnow
from coupons.core.sales import DELIVERED, SALE, SKIPPED, DeliveryFailed, SaleEvent
from coupons.core.table import Table
from coupons.friendbuy import referral_items
from coupons.friendbuy.referral_items import Attribution

PARTNER = "friendbuy"


class Product(BaseModel):
    sku: str | None = None
    name: str | None = None
    quantity: int | None = None
    price: Decimal | None = None


class Purchase(BaseModel):
    order_id: str
    customer_id: str | None = None  # Friendbuy's route requires it; the checkout may not know it
    amount: Decimal
    currency: str  # ISO 4217, upper case
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    is_new_customer: bool | None = None
    coupon_code: str | None = None  # as sent
    referral_code: str | None = None
    attribution_id: str | None = None
    products: list[Product] = Field(default_factory=list)
    source: str = "friendbuy"  # who reported it: the Friendbuy route, or "checkout"


class PurchaseEvent(BaseModel):
    event_id: str
    created_on: datetime
    order_id: str
    attributed: bool
    referral_code: str | None = None
    coupon_code: str | None = None
    campaign_id: str | None = None
    reason: str | None = None  # why it is not attributed
    replayed: bool = False  # True: the order id was recorded before; this is that first event


def record_purchase(table: Table, purchase: Purchase, campaigns: frozenset[str] | None = None) -> PurchaseEvent:
    """Record ``purchase`` once per order id and credit the advocate, if any, with a conversion and
    its amount. ``campaigns`` limits attribution to those campaigns (None: any). A repeated order
    id answers the first event, whatever the repeat says."""
    if purchase.amount < 0:
        raise InvalidRequest("The amount must not be negative")
    target, reason = _attribution(table, purchase, campaigns)
    for _ in range(2):  # a second time only when the referral vanished: record it unattributed
        event = PurchaseEvent(
            event_id=str(uuid.uuid4()), created_on=utcnow(), order_id=purchase.order_id, attributed=target is not None,
            referral_code=target["referral_code"] if target else None,
            coupon_code=target.get("coupon_code") if target else _canonical_or_none(purchase.coupon_code),
            campaign_id=target["campaign_id"] if target else None, reason=reason,
        )
        item = {**purchase.model_dump(), **referral_items.purchase_key(purchase.order_id), "event": event.model_dump()}
        if target:
            item.update(gsi1pk=f"FRIENDBUY#CONVERSIONS#{event.referral_code}", gsi1sk=event.created_on.isoformat())
        attribution = Attribution(event.referral_code, purchase.currency, purchase.amount) if target else None
        try:
            referral_items.put_purchase(table, item, attribution)
            return event
        except referral_items.PurchaseExists as clash:
            return _replayed(clash.existing)
        except referral_items.ReferralMissing:
            target, reason = None, f"Referral code {event.referral_code} no longer exists"
    raise Unavailable("Purchases of this advocate are arriving very fast; please send the same purchase again")


def _replayed(item: dict[str, Any]) -> PurchaseEvent:
    return PurchaseEvent.model_validate({**item["event"], "replayed": True})


def _canonical_or_none(code: str | None) -> str | None:
    return codes.canonical(code) if code else None


def _attribution(table: Table, purchase: Purchase, campaigns: frozenset[str] | None) -> tuple[dict | None, str | None]:
    """The referral to credit (referral code first, then coupon code), or why there is none.
    Both candidates are read in one call."""
    keys: list[dict[str, Any]] = []
    if len(purchase.referral_code or "") > codes.MAX_LENGTH or len(purchase.coupon_code or "") > codes.MAX_LENGTH:
        return None, "The coupon code or referral code is longer than any code this service issues"
    if purchase.referral_code:
        keys.append(referral_items.referral_key(purchase.referral_code))
    coupon = _canonical_or_none(purchase.coupon_code)
    if coupon:
        keys.append(code_items.key(coupon))
    if not keys:
        return None, "The purchase has neither a coupon code nor a referral code"
    found = table.get_many(keys, consistent=True)
    referral = found[0] if purchase.referral_code else None
    code_item = found[-1] if coupon else None

    def opens(campaign_id: str) -> bool:
        return campaigns is None or campaign_id in campaigns

    if referral is not None and opens(referral["campaign_id"]):
        return {"referral_code": referral["referral_code"], "campaign_id": referral["campaign_id"],
                "coupon_code": coupon or referral.get("coupon_code")}, None
    if code_item is not None and code_item.get("partner") == PARTNER and code_item.get("referral_code"):
        if opens(code_item["account"]):
            return {"referral_code": code_item["referral_code"], "campaign_id": code_item["account"],
                    "coupon_code": coupon}, None
    # Nobody to credit: say why, naming the coupon code when there is one.
    if coupon and code_item is None:
        return None, f"Coupon code {coupon} is unknown"
    if coupon and code_item.get("partner") != PARTNER:
        return None, f"Coupon code {coupon} is not a Friendbuy code"
    if coupon and not code_item.get("referral_code"):
        return None, f"Coupon code {coupon} has not been given to an advocate"
    if coupon:
        return None, f"Coupon code {coupon} belongs to a campaign this key does not open"
    return None, f"Referral code {purchase.referral_code} is unknown"


def report_checkout_sale(table: Table, event: SaleEvent) -> tuple[str, str]:
    """The sale reporter for Friendbuy's codes: a checkout sale becomes a Friendbuy purchase, once
    per order id (the same order sent through /friendbuy/v1/event/purchase as well is still one
    purchase), crediting the advocate who owns the code."""
    if event.kind != SALE:
        return SKIPPED, "Friendbuy purchase events have no cancellation"
    r = event.redemption
    purchase = Purchase(
        order_id=r.order_id, customer_id=r.customer.id, email=r.customer.email, amount=r.cart.subtotal,
        currency=r.cart.currency, coupon_code=r.code, source="checkout",
    )
    try:
        recorded = record_purchase(table, purchase)
    except Unavailable as busy:
        raise DeliveryFailed(busy.message) from None
    credited = f"credited to referral {recorded.referral_code}" if recorded.attributed else recorded.reason
    return DELIVERED, f"purchase {recorded.event_id}: {credited}"

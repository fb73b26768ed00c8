"""Purchases, recorded once per order id (per campaign) and credited to the advocate whose code was used.

``record_purchase`` is the entry point for every caller (both Friendbuy APIs and the brand's
checkout); attribution: coupon code, then ``attributionId``, then referral code, and a coupon
code is enough (docs/friendbuy.md, "Design", Purchases)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import Field

from coupons.core.base_model import Model
from coupons.core.errors import InvalidRequest, Unavailable
from coupons.core.models import utcnow
from coupons.core.sales import DELIVERED, SALE, SKIPPED, DeliveryFailed, Reporter, SaleEvent
from coupons.core.table import Table
from coupons.friendbuy import outbound, referral_items
from coupons.friendbuy.attribution import Target, attribute, canonical_or_none
from coupons.friendbuy.referral_items import Attribution

PARTNER = "friendbuy"
UNSCOPED = "none"
# Friendbuy's Merchant API host (template.yaml's FriendbuyMapiUrl may point elsewhere).
DEFAULT_MAPI_URL = outbound.DEFAULT_BASE_URL  # where a trusted caller's (no key) unattributed purchase is kept


class Product(Model):
    sku: str | None = None
    name: str | None = None
    quantity: int | None = None
    price: Decimal | None = None


class Purchase(Model):
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
    gift_card_codes: list[str] = Field(default_factory=list)
    ip_address: str | None = None
    user_agent: str | None = None
    additional_properties: dict[str, str] = Field(default_factory=dict)
    source: str = "friendbuy"  # who reported it: the Merchant API route, "rest" (POST /v1/purchases) or "checkout"


class PurchaseEvent(Model):
    event_id: str
    created_on: datetime
    order_id: str
    attributed: bool
    referral_code: str | None = None
    coupon_code: str | None = None
    campaign_id: str | None = None
    attributed_by: str | None = None  # couponCode, attributionId or referralCode: which field won
    reason: str | None = None  # why it is not attributed
    replayed: bool = False  # True: the order id was recorded before; this is that first event


def record_purchase(table: Table, purchase: Purchase, campaigns: frozenset[str] | None = None,
                    home: str = UNSCOPED) -> PurchaseEvent:
    """Record ``purchase`` once per order id and credit the advocate, if any, with a conversion and
    its amount. ``campaigns`` limits attribution to those campaigns (None: any); the purchase is kept
    under the campaign it is credited to, else under ``home`` (the caller's campaign, ``Caller.home``),
    so one campaign's order ids never answer or swallow another's. A repeated order id answers the
    first event, whatever the repeat says."""
    if purchase.amount < 0:
        raise InvalidRequest("The amount must not be negative")
    found = attribute(table, purchase.coupon_code, purchase.attribution_id, purchase.referral_code, campaigns)
    target, reason = found.target, found.reason
    for _ in range(2):  # a second time only when the referral vanished: record it unattributed
        event = _event(purchase, target, reason)
        scope = target.campaign_id if target else home
        key = referral_items.purchase_key(scope, purchase.order_id)
        item = {**purchase.model_dump(), **key, "scope": scope, "event": event.model_dump()}
        if target:
            item.update(gsi1pk=f"FRIENDBUY#CONVERSIONS#{event.referral_code}", gsi1sk=event.created_on.isoformat())
        attribution = Attribution(target.referral_code, purchase.currency, purchase.amount) if target else None
        markers = referral_items.person_markers(scope, key, purchase.customer_id, purchase.email)
        try:
            referral_items.put_purchase(table, item, attribution, markers)
            return event
        except referral_items.PurchaseExists as clash:
            return _replayed(clash.existing)
        except referral_items.ReferralMissing:
            target, reason = None, f"Referral code {event.referral_code} no longer exists"
    raise Unavailable("Purchases of this advocate are arriving very fast; please send the same purchase again")


def _event(purchase: Purchase, target: Target | None, reason: str | None) -> PurchaseEvent:
    return PurchaseEvent(
        event_id=str(uuid.uuid4()), created_on=utcnow(), order_id=purchase.order_id, attributed=target is not None,
        referral_code=target.referral_code if target else None,
        coupon_code=target.coupon_code if target else canonical_or_none(purchase.coupon_code),
        campaign_id=target.campaign_id if target else None, attributed_by=target.by if target else None,
        reason=None if target else reason,
    )


def _replayed(item: dict[str, Any]) -> PurchaseEvent:
    return PurchaseEvent.model_validate({**item["event"], "replayed": True})


def checkout_reporter(mapi_base_url: str | None = None) -> Reporter:
    """The sale reporter for Friendbuy's codes. A checkout sale becomes a purchase here, once per
    order id (the same order sent through /friendbuy/v1/event/purchase as well is still one
    purchase), crediting the advocate who owns the code; when the code's campaign is linked to the
    brand's Friendbuy account (``coupons-admin campaigns link-friendbuy``), the sale is also sent to
    Friendbuy's ``POST /v1/event/purchase``, once per order id."""
    client = outbound.MerchantApi(mapi_base_url or DEFAULT_MAPI_URL)

    def report(table: Table, event: SaleEvent) -> tuple[str, str]:
        if event.kind != SALE:
            return SKIPPED, "Friendbuy purchase events have no cancellation"
        r = event.redemption
        purchase = Purchase(
            order_id=r.order_id, customer_id=r.customer.id, email=r.customer.email, amount=r.cart.subtotal,
            currency=r.cart.currency, coupon_code=r.code, source="checkout",
        )
        try:
            recorded = record_purchase(table, purchase, home=r.owner.account)
        except Unavailable as busy:
            raise DeliveryFailed(busy.message) from None
        credited = f"credited to referral {recorded.referral_code}" if recorded.attributed else recorded.reason
        note = f"purchase {recorded.event_id}: {credited}"
        link = outbound.linked(table, r.owner.account)
        if link is None:
            return DELIVERED, note
        scope = recorded.campaign_id or r.owner.account
        sent = outbound.send_purchase_once(table, client, link, referral_items.purchase_key(scope, r.order_id), {
            "orderId": r.order_id, "amount": r.paid_goods_total, "currency": r.cart.currency, "couponCode": r.code,
            "customerId": r.customer.id, "email": r.customer.email,
        }, event.timeout_seconds)
        return DELIVERED, f"{note}; {sent}"

    return report


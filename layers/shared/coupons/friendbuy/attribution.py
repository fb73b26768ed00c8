"""Whom a purchase, sign-up or custom event is credited to: the advocate named by its coupon code,
else by its ``attributionId`` (a share: what a personal referral link carries), else by its
referral code — Friendbuy's documented order (developers.friendbuy.com, Merchant API: "couponCode
... can be used to establish attribution with an advocate"). All candidates are read in one
BatchGetItem. A code nobody can be credited with is never a refusal: the event is recorded
unattributed with the reason (Segment's own test bodies carry made-up codes).
"""

from __future__ import annotations

from dataclasses import dataclass

from coupons.core import code_items, codes
from coupons.core.table import Table
from coupons.friendbuy import referral_items

PARTNER = "friendbuy"
COUPON, ATTRIBUTION_ID, REFERRAL = "couponCode", "attributionId", "referralCode"


@dataclass(frozen=True)
class Target:
    """The advocate's referral to credit, and which field of the event named it."""

    referral_code: str
    campaign_id: str
    coupon_code: str | None
    by: str  # COUPON, ATTRIBUTION_ID or REFERRAL


@dataclass(frozen=True)
class Found:
    target: Target | None
    reason: str | None  # why nobody is credited


def canonical_or_none(code: str | None) -> str | None:
    return codes.canonical(code) if code else None


def attribute(table: Table, coupon_code: str | None, attribution_id: str | None, referral_code: str | None,
              campaigns: frozenset[str] | None) -> Found:
    """``campaigns``: the campaigns whose advocates may be credited (None: any, for the checkout)."""
    coupon = canonical_or_none(coupon_code)
    too_long = [v for v in (coupon, attribution_id, referral_code) if v and len(v) > codes.MAX_LENGTH]
    if too_long:
        return Found(None, "A coupon code, attributionId or referral code is longer than any this service issues")
    wanted = {COUPON: code_items.key(coupon) if coupon else None,
              ATTRIBUTION_ID: referral_items.share_key(attribution_id) if attribution_id else None,
              REFERRAL: referral_items.referral_key(referral_code) if referral_code else None}
    asked = {name: key for name, key in wanted.items() if key is not None}
    if not asked:
        return Found(None, "It carries no coupon code, attributionId or referral code")
    items = dict(zip(asked, referral_items.read(table, list(asked.values())), strict=True))

    def opens(campaign_id: str) -> bool:
        return campaigns is None or campaign_id in campaigns

    reasons: list[str] = []
    if COUPON in items:
        item = items[COUPON]
        if item is None:
            reasons.append(f"Coupon code {coupon} is unknown")
        elif item.get("partner") != PARTNER:
            reasons.append(f"Coupon code {coupon} is not a Friendbuy code")
        elif not item.get("referral_code"):
            reasons.append(f"Coupon code {coupon} has not been given to an advocate")
        elif not opens(item["account"]):
            reasons.append(f"Coupon code {coupon} belongs to a campaign this key does not open")
        else:
            return Found(Target(item["referral_code"], item["account"], coupon, COUPON), None)
    for name, shown in ((ATTRIBUTION_ID, f"attributionId {attribution_id}"), (REFERRAL, f"Referral code {referral_code}")):
        if name not in items:
            continue
        item = items[name]
        if item is None:
            reasons.append(f"{shown} is unknown")
        elif not opens(item["campaign_id"]):
            reasons.append(f"{shown} belongs to a campaign this key does not open")
        else:
            return Found(Target(item["referral_code"], item["campaign_id"], coupon or item.get("coupon_code"), name), None)
    return Found(None, "; ".join(reasons))

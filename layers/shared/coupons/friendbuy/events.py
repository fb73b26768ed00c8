"""Sign-ups, customers and custom events (Friendbuy's Merchant API), recorded once per event identity.

Kept and attributed like a purchase, but counting no conversion; identities that may be personal
are hashed before they become keys (docs/friendbuy.md, "Request fields, and where each comes from", Event identity)."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from coupons.core.base_model import Model
from coupons.core.models import utcnow
from coupons.core.table import Table
from coupons.friendbuy import referral_items
from coupons.friendbuy.attribution import Target, attribute, canonical_or_none
from coupons.friendbuy.campaigns import Caller

SIGN_UP, CUSTOMER, CUSTOM = "account-sign-up", "customer", "custom"
# What erasure removes from an event or purchase item (everything else is kept, counts and money too).
PERSONAL_FIELDS = ("email", "first_name", "last_name", "ip_address", "user_agent", "additional_properties",
                   "birthday", "age", "gender", "zip_code", "city", "state")


class Event(Model):
    """A sign-up, customer or custom event as the wire module parsed it (fields are Friendbuy's)."""

    kind: str  # SIGN_UP, CUSTOMER or CUSTOM
    email: str
    customer_id: str | None = None
    event_type: str | None = None  # custom events
    deduplication_id: str | None = None  # custom events
    first_name: str | None = None
    last_name: str | None = None
    is_new_customer: bool | None = None
    coupon_code: str | None = None
    attribution_id: str | None = None
    referral_code: str | None = None
    ip_address: str | None = None
    user_agent: str | None = None
    additional_properties: dict[str, str] = Field(default_factory=dict)
    profile: dict[str, Any] = Field(default_factory=dict)  # customer/sign-up extras: age, birthday, city ...


class Recorded(Model):
    event_id: str
    created_on: datetime
    attributed: bool
    referral_code: str | None = None
    campaign_id: str | None = None
    attributed_by: str | None = None
    reason: str | None = None
    replayed: bool = False


def identity(event: Event) -> str:
    if event.kind in (SIGN_UP, CUSTOMER):
        return "ID#" + _digest(event.customer_id or "")
    if event.deduplication_id:
        return "DEDUP#" + _digest(f"{event.event_type}\n{event.deduplication_id}")
    return "BODY#" + _digest(json.dumps(event.model_dump(), sort_keys=True, default=str))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def record(table: Table, caller: Caller, event: Event) -> Recorded:
    """Record ``event`` once; a repeat answers the first record (``replayed``). A customer record
    sent again is updated with the new fields and answers its first id."""
    found = attribute(table, event.coupon_code, event.attribution_id, event.referral_code, caller.campaigns)
    target: Target | None = found.target
    recorded = Recorded(event_id=str(uuid.uuid4()), created_on=utcnow(), attributed=target is not None,
                        referral_code=target.referral_code if target else None,
                        campaign_id=target.campaign_id if target else None,
                        attributed_by=target.by if target else None, reason=None if target else found.reason)
    scope = target.campaign_id if target else caller.home
    key = referral_items.event_key(scope, event.kind, identity(event))
    data = event.model_dump(exclude={"profile", "deduplication_id"})
    data.update(event.profile)
    data["coupon_code"] = canonical_or_none(event.coupon_code)
    item = {**data, **key, "scope": scope, "recorded": recorded.model_dump()}
    markers = referral_items.person_markers(scope, key, event.customer_id, event.email)
    try:
        referral_items.put_once(table, item, markers)
        return recorded
    except referral_items.PurchaseExists as clash:
        first = Recorded.model_validate({**clash.existing["recorded"], "replayed": True})
    if event.kind == CUSTOMER:
        referral_items.update_fields(table, key, {k: v for k, v in data.items() if v is not None and k not in ("kind",)})
        for marker in markers:  # the record may now name a new email: erasure must find it by that too
            referral_items.put_marker(table, marker)
    return first

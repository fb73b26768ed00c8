"""Advocates and their referral codes: a coupon code from a bank (Friendbuy use case 1), or a
named existing code (use case 2), tied to a short referral code.

One advocate (customer id, else email) has one referral per campaign: asking again answers the
same code and referral code. The advocate item's conditional put decides races between parallel
requests for one advocate; the free item's conditional delete decides races between advocates.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from coupons.core import code_items
from coupons.core.errors import CodeTaken, CouponError, NotFound, Unavailable
from coupons.core.models import utcnow
from coupons.core.table import Table
from coupons.friendbuy import bank_items, banks, campaigns, referral_items
from coupons.friendbuy.campaigns import Caller, Campaign
from coupons.friendbuy.referral_items import ClaimRefused

# Referral codes are short (Friendbuy's look like cPw5) but drawn from 57^6 = 3.4e10 values, so
# a clash (refused by a condition, then redrawn) stays rare even with millions of advocates.
REFERRAL_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
REFERRAL_LENGTH = 6
MAX_CLAIMS = 20  # claim attempts per request before answering "busy, retry" (429)


class AdvocateHasCode(CouponError):
    """The advocate already has a different code in this campaign."""


class Advocate(BaseModel):
    customer_id: str | None = None
    email: str  # lower case
    first_name: str | None = None
    last_name: str | None = None

    @property
    def person(self) -> str:
        """The code's owner person (what sales reports show): the customer id, else the email."""
        return self.customer_id or self.email

    @property
    def identity(self) -> str:
        """Friendbuy's rule: the customer id when there is one, else the email."""
        return f"ID#{self.customer_id}" if self.customer_id else f"EMAIL#{self.email}"


class ReferralRequest(BaseModel):
    campaign_id: str
    advocate: Advocate
    bank_id: str | None = None  # use case 1
    coupon_code: str | None = None  # use case 2, canonical


class Referral(BaseModel):
    referral_code: str
    campaign_id: str
    coupon_code: str | None = None  # None: a personal referral link made before any code
    bank_id: str | None = None
    link: str
    attribution_id: str | None = None  # the share a personal referral link carries (FRIENDBUY#SHARE#)
    customer_id: str | None = None
    email: str | None = None  # None once erased
    first_name: str | None = None
    last_name: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    conversions: int = 0
    revenue: dict[str, Decimal] = Field(default_factory=dict)  # per currency


@dataclass(frozen=True)
class Referred:
    referral: Referral
    created: bool  # False: the advocate already had it (a repeat or a retry)


def new_referral_code() -> str:
    return "".join(secrets.choice(REFERRAL_ALPHABET) for _ in range(REFERRAL_LENGTH))


def _referral_from(item: dict[str, Any]) -> Referral:
    return Referral.model_validate({k: v for k, v in item.items() if k in Referral.model_fields})


def refer(table: Table, caller: Caller, request: ReferralRequest) -> Referred:
    """The advocate's referral in the campaign: the existing one, or a new one with a code from the
    bank (use case 1) or the named code (use case 2)."""
    advocate = request.advocate
    keys = [campaigns.account_key(request.campaign_id), referral_items.advocate_key(request.campaign_id, advocate.identity)]
    if request.bank_id is not None:
        keys.append(bank_items.bank_key(request.bank_id))
    else:
        keys.append(code_items.key(request.coupon_code or ""))
    campaign_item, advocate_item, third = table.get_many(keys)  # one call for all three
    campaign = campaigns.admit(caller, request.campaign_id, campaign_item)
    # An advocate with a personal referral link but no code yet keeps that referral code: the code joins it.
    pending = advocate_item if advocate_item is not None and not advocate_item.get("coupon_code") else None
    if request.bank_id is not None:
        bank = banks.in_campaign(third, request.bank_id, campaign.id)
        if advocate_item is not None and pending is None:
            return _existing(request, advocate_item)
        return _from_bank(table, campaign, bank, request, pending)
    if pending is None and advocate_item is not None and (
            third is not None or advocate_item.get("coupon_code") == request.coupon_code):
        return _existing(request, advocate_item)
    return _with_code(table, campaign, request, third, pending)


def _existing(request: ReferralRequest, item: dict[str, Any]) -> Referred:
    referral = _referral_from(item)
    same = referral.bank_id == request.bank_id if request.bank_id is not None else referral.coupon_code == request.coupon_code
    if not same:
        raise AdvocateHasCode(
            f"This advocate already has coupon code {referral.coupon_code} (referral code {referral.referral_code}) "
            f"in campaign {referral.campaign_id}"
        )
    return Referred(referral, created=False)


def _new_referral(campaign: Campaign, advocate: Advocate, coupon_code: str | None, bank_id: str | None) -> Referral:
    code = new_referral_code()
    a = advocate
    return Referral(referral_code=code, campaign_id=campaign.id, coupon_code=coupon_code, bank_id=bank_id,
                    link=campaign.link(code), attribution_id=str(uuid.uuid4()), customer_id=a.customer_id,
                    email=a.email, first_name=a.first_name, last_name=a.last_name)


def _items(referral: Referral, identity: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The referral item (with its counters) and the advocate item (the same facts, without them)."""
    data = referral.model_dump()
    referral_item = {
        **data, **referral_items.referral_key(referral.referral_code), "identity": identity,
        "gsi1pk": referral_items.referrals_partition(referral.campaign_id),
        "gsi1sk": f"{referral.created_at.isoformat()}#{referral.referral_code}",
    }
    advocate_item = {
        **{k: v for k, v in data.items() if k not in ("conversions", "revenue")},
        **referral_items.advocate_key(referral.campaign_id, identity),
        **({"gsi1pk": referral_items.email_partition(referral.email),
            "gsi1sk": f"{referral.campaign_id}#{referral.referral_code}"} if referral.email else {}),
    }
    return referral_item, advocate_item


def _claim(table: Table, campaign: Campaign, request: ReferralRequest, coupon_code: str, bank_id: str | None,
           free: tuple[str, str] | None, require_free: bool, pending: dict[str, Any] | None = None) -> Referred | None:
    """One claim, redrawing the referral code on a clash; None when the code went to someone else.
    ``pending``: the advocate's referral without a code, which the code joins."""
    for _ in range(3):
        if pending is not None:
            referral = _referral_from(pending).model_copy(update={"coupon_code": coupon_code, "bank_id": bank_id})
        else:
            referral = _new_referral(campaign, request.advocate, coupon_code, bank_id)
        referral_item, advocate_item = _items(referral, request.advocate.identity)
        try:
            referral_items.claim(table, referral_item, advocate_item, coupon_code, request.advocate.person, free,
                                 (banks.PARTNER, campaign.id), require_free, existing_referral=pending is not None)
            return Referred(referral, created=True)
        except ClaimRefused as refused:
            if refused.reason == ClaimRefused.ADVOCATE_HAS_ONE:
                # The same advocate's parallel request won: answer what it got.
                existing = refused.existing or table.get_many(
                    [referral_items.advocate_key(campaign.id, request.advocate.identity)], consistent=True)[0]
                if existing is None:  # the winner's advocate item vanished (erased): try again
                    continue
                return _existing(request, existing)
            if refused.reason != ClaimRefused.REFERRAL_CODE_TAKEN:
                return None
    return None


def _from_bank(table: Table, campaign: Campaign, bank: banks.Bank, request: ReferralRequest,
               pending: dict[str, Any] | None = None) -> Referred:
    rng = secrets.SystemRandom()
    claims = 0
    while claims < MAX_CLAIMS:
        for free in banks.free_codes(table, bank, rng):
            claims += 1
            referred = _claim(table, campaign, request, free.code, bank.id, (free.pk, free.sk), require_free=True,
                              pending=pending)
            if referred is not None:
                return referred
            if claims >= MAX_CLAIMS:
                break
    raise Unavailable("The coupon bank is very busy right now; please send the same request again")


def _with_code(table: Table, campaign: Campaign, request: ReferralRequest, code_item: dict[str, Any] | None,
               pending: dict[str, Any] | None = None) -> Referred:
    code = request.coupon_code or ""
    if code_item is None:
        raise NotFound(f"Coupon code {code} was not found; upload it to a coupon bank of campaign {campaign.id} first")
    if code_item.get("partner") != banks.PARTNER or code_item.get("account") != campaign.id:
        raise CodeTaken(f"Coupon code {code} is not a code of campaign {campaign.id}")
    if code_item.get("person") is not None:
        raise CodeTaken(f"Coupon code {code} is already associated with another advocate")
    free = (code_item["free_pk"], code_item["free_sk"]) if code_item.get("free_pk") else None
    # The code's own condition (no person yet) decides a race; the free item goes with it, if any.
    referred = _claim(table, campaign, request, code, code_item.get("bank"), free, require_free=False, pending=pending)
    if referred is None:
        raise CodeTaken(f"Coupon code {code} is already associated with another advocate")
    return referred


# ---- personal referral links (Merchant API) ----------------------------------------------------


@dataclass(frozen=True)
class PersonalLink:
    referral: Referral
    link: str
    created: bool


def personal_link(table: Table, caller: Caller, campaign_id: str, advocate: Advocate,
                  params: dict[str, str]) -> PersonalLink:
    """The advocate's personal referral link in the campaign: built on the advocate's referral (the
    same referral code ``refer`` gives them, whichever comes first), created without a coupon code
    when there is none yet. Unknown, inactive or closed campaigns are 404 (Friendbuy documents it)."""
    key = referral_items.advocate_key(campaign_id, advocate.identity)
    campaign_item, advocate_item = table.get_many([campaigns.account_key(campaign_id), key], consistent=True)
    campaign = campaigns.admit(caller, campaign_id, campaign_item)
    for _ in range(3):
        if advocate_item is not None:
            referral = _referral_from(advocate_item)
            return PersonalLink(referral, campaign.personal_link(referral.referral_code, referral.attribution_id, params),
                                created=False)
        referral = _new_referral(campaign, advocate, None, None)
        referral_item, new_advocate = _items(referral, advocate.identity)
        try:
            referral_items.put_referral(table, referral_item, new_advocate)
        except ClaimRefused as refused:
            if refused.reason == ClaimRefused.ADVOCATE_HAS_ONE:
                advocate_item = refused.existing or table.get_many([key], consistent=True)[0]
            continue  # a referral code clash: draw another
        return PersonalLink(referral, campaign.personal_link(referral.referral_code, referral.attribution_id, params),
                            created=True)
    raise Unavailable("Referral codes are very busy right now; please send the same request again")


# ---- lookups -----------------------------------------------------------------------------------


def find(table: Table, caller: Caller, referral_code: str) -> Referral:
    if not 1 <= len(referral_code) <= 64:  # longer than any we issue (and than a key may be)
        raise NotFound(f"Referral code {referral_code[:64]} was not found")
    item = table.get_many([referral_items.referral_key(referral_code)], consistent=True)[0]
    if item is None or item["campaign_id"] not in caller.campaigns:
        raise NotFound(f"Referral code {referral_code} was not found")
    return _referral_from(item)


def _with_counters(table: Table, advocate_items: list[dict[str, Any]]) -> list[Referral]:
    if not advocate_items:
        return []
    keys = [referral_items.referral_key(i["referral_code"]) for i in advocate_items]
    found = table.get_many(keys, consistent=True)
    return sorted((_referral_from(i) for i in found if i is not None), key=lambda r: (r.campaign_id, r.created_at))


def find_by_email(table: Table, caller: Caller, email: str, campaign_id: str | None = None) -> list[Referral]:
    wanted = {campaign_id} & caller.campaigns if campaign_id else caller.campaigns
    advocates = [i for i in referral_items.advocates_by_email(table, email) if i["campaign_id"] in wanted]
    return _with_counters(table, advocates[:100])


def find_by_customer(table: Table, caller: Caller, customer_id: str, campaign_id: str | None = None) -> list[Referral]:
    wanted = sorted({campaign_id} & caller.campaigns if campaign_id else caller.campaigns)[:100]
    keys = [referral_items.advocate_key(c, f"ID#{customer_id}") for c in wanted]
    found = table.get_many(keys, consistent=True) if keys else []
    return _with_counters(table, [i for i in found if i is not None])


def of_campaign(table: Table, campaign_id: str):
    """Every referral of a campaign with its conversions and revenue (admin CSV export)."""
    return (_referral_from(item) for item in referral_items.referrals_of_campaign(table, campaign_id))

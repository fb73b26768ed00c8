"""Advocates and their referral codes: a coupon code from a bank (Friendbuy use case 1), or a
named existing code (use case 2), tied to a short referral code.

One advocate (customer id, else email) has one referral per campaign: asking again answers the
same code and referral code. The advocate item's conditional put decides races between parallel
requests for one advocate; the code item's conditional update (no advocate yet) decides races
between advocates, and takes the code out of its bank's free pool in the same write.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import Field

from coupons.core import account_items, code_items
from coupons.core.base_model import Model
from coupons.core.errors import CodeTaken, CouponError, InvalidRequest, NotFound, Unavailable
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


class Advocate(Model):
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


class ReferralRequest(Model):
    campaign_id: str
    advocate: Advocate
    bank_id: str | None = None  # use case 1
    coupon_code: str | None = None  # use case 2, canonical


class Referral(Model):
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
    if request.bank_id is not None:
        # Campaign and bank come from memory (coupons.core.cache); the advocate is not read: the
        # claim's own condition finds an existing one and hands it back. Query + transaction.
        campaign = _campaign(table, caller, request.campaign_id)
        bank = banks.in_campaign(bank_items.get_bank_cached(table, request.bank_id), request.bank_id, campaign.id)
        return _from_bank(table, campaign, bank, request)
    code = request.coupon_code
    if code is None:
        raise InvalidRequest("Name a coupon bank or a coupon code")
    keys = [referral_items.advocate_key(request.campaign_id, request.advocate.identity), code_items.key(code)]
    advocate_item, code_item = referral_items.read(table, keys, consistent=False)  # one call for both
    campaign = _campaign(table, caller, request.campaign_id)
    # An advocate with a personal referral link but no code yet keeps that referral code: the code joins it.
    pending = advocate_item if advocate_item is not None and not advocate_item.get("coupon_code") else None
    if pending is None and advocate_item is not None and (
            code_item is not None or advocate_item.get("coupon_code") == code):
        return _existing(request, advocate_item)
    return _with_code(table, campaign, request, code, code_item, pending)


def _campaign(table: Table, caller: Caller, campaign_id: str) -> Campaign:
    account = account_items.get_cached(table, campaigns.PARTNER, campaign_id)  # see coupons.core.cache
    return campaigns.admit(caller, campaign_id, account.model_dump() if account else None)


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
        **referral_items.referral_listing_keys(referral.campaign_id, referral.referral_code,
                                               referral.created_at.isoformat()),
    }
    advocate_item = {
        **{k: v for k, v in data.items() if k not in ("conversions", "revenue")},
        **referral_items.advocate_key(referral.campaign_id, identity),
        **({"gsi1pk": referral_items.email_partition(referral.email),
            "gsi1sk": f"{referral.campaign_id}#{referral.referral_code}"} if referral.email else {}),
    }
    return referral_item, advocate_item


def _claim(table: Table, campaign: Campaign, request: ReferralRequest, coupon_code: str, bank_id: str | None,
           pending: dict[str, Any] | None = None) -> Referred | None:
    """One claim, redrawing the referral code on a clash; None when the code went to someone else.
    ``pending``: the advocate's referral without a code (a personal referral link made first),
    which the code joins; found by the claim's own condition when the caller did not read it."""
    for _ in range(3):
        if pending is not None:
            referral = _referral_from(pending).model_copy(update={"coupon_code": coupon_code, "bank_id": bank_id})
        else:
            referral = _new_referral(campaign, request.advocate, coupon_code, bank_id)
        referral_item, advocate_item = _items(referral, request.advocate.identity)
        try:
            referral_items.claim(table, referral_item, advocate_item, coupon_code, request.advocate.person,
                                 (banks.PARTNER, campaign.id), existing_referral=pending is not None)
            return Referred(referral, created=True)
        except ClaimRefused as refused:
            if refused.reason == ClaimRefused.ADVOCATE_HAS_ONE:
                # Asked before, or the same advocate's parallel request won: answer what it got.
                existing = refused.existing or _advocate_item(table, campaign.id, request)
                if existing is None:  # the winner's advocate item vanished (erased): try again
                    pending = None
                    continue
                if pending is None and not existing.get("coupon_code"):
                    pending = existing  # a personal referral link came first: the code joins its referral
                    continue
                return _existing(request, existing)
            if refused.reason != ClaimRefused.REFERRAL_CODE_TAKEN:
                return None
    return None


def _advocate_item(table: Table, campaign_id: str, request: ReferralRequest) -> dict[str, Any] | None:
    return referral_items.read(table, [referral_items.advocate_key(campaign_id, request.advocate.identity)])[0]


def _from_bank(table: Table, campaign: Campaign, bank: banks.Bank, request: ReferralRequest) -> Referred:
    rng = secrets.SystemRandom()
    claims = 0
    while claims < MAX_CLAIMS:
        try:
            found = banks.free_codes(table, bank, rng)
        except banks.BankEmpty:
            # An advocate who has a code still gets it from an empty bank: one read, off the happy path.
            existing = _advocate_item(table, campaign.id, request)
            if existing is not None and existing.get("coupon_code"):
                return _existing(request, existing)
            raise
        for free in found:
            claims += 1
            referred = _claim(table, campaign, request, free.code, bank.id)
            if referred is not None:
                return referred
            if claims >= MAX_CLAIMS:
                break
    raise Unavailable("The coupon bank is very busy right now; please send the same request again")


def _with_code(table: Table, campaign: Campaign, request: ReferralRequest, code: str,
               code_item: dict[str, Any] | None, pending: dict[str, Any] | None = None) -> Referred:
    if code_item is None:
        raise NotFound(f"Coupon code {code} was not found; upload it to a coupon bank of campaign {campaign.id} first")
    if code_item.get("partner") != banks.PARTNER or code_item.get("account") != campaign.id:
        raise CodeTaken(f"Coupon code {code} is not a code of campaign {campaign.id}")
    if code_item.get("person") is not None:
        raise CodeTaken(f"Coupon code {code} is already associated with another advocate")
    # The code's own condition (no advocate yet) decides a race; it leaves its bank's pool with it.
    referred = _claim(table, campaign, request, code, code_item.get("bank"), pending)
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
    campaign_item, advocate_item = referral_items.read(table, [campaigns.account_key(campaign_id), key])
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
                advocate_item = refused.existing or referral_items.read(table, [key])[0]
            continue  # a referral code clash: draw another
        return PersonalLink(referral, campaign.personal_link(referral.referral_code, referral.attribution_id, params),
                            created=True)
    raise Unavailable("Referral codes are very busy right now; please send the same request again")


# ---- lookups -----------------------------------------------------------------------------------


def find(table: Table, caller: Caller, referral_code: str) -> Referral:
    if not 1 <= len(referral_code) <= 64:  # longer than any we issue (and than a key may be)
        raise NotFound(f"Referral code {referral_code[:64]} was not found")
    item = referral_items.read(table, [referral_items.referral_key(referral_code)])[0]
    if item is None or item["campaign_id"] not in caller.campaigns:
        raise NotFound(f"Referral code {referral_code} was not found")
    return _referral_from(item)


def _with_counters(table: Table, advocate_items: list[dict[str, Any]]) -> list[Referral]:
    if not advocate_items:
        return []
    keys = [referral_items.referral_key(i["referral_code"]) for i in advocate_items]
    found = referral_items.read(table, keys)
    return sorted((_referral_from(i) for i in found if i is not None), key=lambda r: (r.campaign_id, r.created_at))


def find_by_email(table: Table, caller: Caller, email: str, campaign_id: str | None = None) -> list[Referral]:
    wanted = {campaign_id} & caller.campaigns if campaign_id else caller.campaigns
    advocates = [i for i in referral_items.advocates_by_email(table, email) if i["campaign_id"] in wanted]
    return _with_counters(table, advocates[:100])


def find_by_customer(table: Table, caller: Caller, customer_id: str, campaign_id: str | None = None) -> list[Referral]:
    wanted = sorted({campaign_id} & caller.campaigns if campaign_id else caller.campaigns)[:100]
    keys = [referral_items.advocate_key(c, f"ID#{customer_id}") for c in wanted]
    found = referral_items.read(table, keys) if keys else []
    return _with_counters(table, [i for i in found if i is not None])


def of_campaign(table: Table, campaign_id: str):
    """Every referral of a campaign with its conversions and revenue (admin CSV export)."""
    return (_referral_from(item) for item in referral_items.referrals_of_campaign(table, campaign_id))

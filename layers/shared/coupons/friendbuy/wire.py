"""Friendbuy: the Merchant API's authorization and purchase events, and the older REST API's
referral codes with coupon banks (seed 001 and shared/CONTRACTS.md).

- ``POST /v1/authorization`` ``{"key", "secret"}`` -> 200 ``{"tokenType": "Bearer", "token", "expires"}``
- ``POST /v1/referral_codes`` (seed bodies, snake_case) -> 201 new / 200 the advocate's existing one:
  ``{"referral_code", "trackable_link", "coupon_code", "campaign": {"id"}, "customer": {...},
  "coupon_bank_id": {"id"} | null, "created_at"}``
- ``GET /v1/referral_codes/{referral_code}``, ``GET /v1/referral_codes?email=`` or ``?customerId=``
  (optional ``campaignId``) -> the same shape plus ``conversions`` and ``revenue``; a list answers
  ``{"count", "results": [...]}``.
- ``POST /v1/event/purchase`` (Merchant API fields, camelCase) -> 201 ``{"eventId", "createdOn",
  "attribution": {...}}``; ``attribution`` is our addition, saying whom the purchase was credited to
  or why nobody.
- Errors, every route: ``{"error": "<HTTP reason>", "message": "<what to fix>", "code": <status>}``.
  Friendbuy documents the statuses (400, 401, 422, 429), not the body; this shape is our choice.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
)

from coupons.core import codes, credentials, money
from coupons.core.errors import (
    CodeTaken,
    CouponError,
    Forbidden,
    InvalidRequest,
    NotFound,
    Unauthenticated,
    Unavailable,
)
from coupons.core.responses import first_problem
from coupons.core.responses import json_response as _json
from coupons.friendbuy.banks import BankEmpty
from coupons.friendbuy.campaigns import Token
from coupons.friendbuy.purchases import Product, Purchase, PurchaseEvent
from coupons.friendbuy.referrals import (
    Advocate,
    AdvocateHasCode,
    Referral,
    ReferralRequest,
)

_STATUS: dict[type[CouponError], int] = {
    Unauthenticated: 401,
    Forbidden: 401,  # Friendbuy answers 401 for any credential problem
    NotFound: 404,
    CodeTaken: 409,
    AdvocateHasCode: 409,
    BankEmpty: 409,
    InvalidRequest: 422,
    Unavailable: 429,  # throttled or contended: Friendbuy's "retry later" status
}


class MalformedBody(InvalidRequest):
    """The body is not a JSON object at all (400, where a bad field is 422)."""


_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}", re.ASCII)
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")


def _plain_text(value: str) -> str:
    if any(0xD800 <= ord(c) <= 0xDFFF or ord(c) < 0x20 for c in value):
        raise ValueError("must be text without control characters")
    return value


Text = Annotated[StrictStr, Field(max_length=256), AfterValidator(_plain_text)]
Number = StrictInt | StrictFloat


# ---- request bodies (everything optional, so that a missing field is explained in our words) ----


class IdRef(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: StrictInt | Text | None = None


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: StrictInt | Text | None = None
    first_name: Text | None = None
    last_name: Text | None = None
    email: Text | None = None


class ReferralCodeBody(BaseModel):
    """The older REST API's body, as in Friendbuy's coupon-bank article."""

    model_config = ConfigDict(extra="ignore")
    campaign: IdRef | None = Field(None, description="The campaign, by id (required)")
    customer: CustomerIn | None = Field(None, description="The advocate: id recommended, email required")
    email: Text | None = Field(None, description="The advocate's email when there is no customer object")
    coupon_bank_id: IdRef | None = Field(None, description="Use case 1: give the advocate a code from this bank")
    coupon_code: Text | None = Field(None, description="Use case 2: give the advocate this existing code")


class AuthorizationBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    key: Text | None = Field(None, description="The campaign's access key")
    secret: Text | None = Field(None, description="The access key's secret")


class ProductIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    sku: Text | None = None
    name: Text | None = None
    quantity: StrictInt | None = Field(None, ge=0, le=1_000_000)
    price: Number | None = Field(None, ge=0, le=1_000_000_000_000)


class PurchaseBody(BaseModel):
    """The Merchant API's purchase event."""

    model_config = ConfigDict(extra="ignore")
    orderId: StrictInt | Text = Field(description="Unique order id: the same id twice is recorded once")
    customerId: StrictInt | Text
    amount: Number = Field(ge=0, le=1_000_000_000_000, json_schema_extra={"minimum": 0, "maximum": 1_000_000_000_000})
    currency: Text
    email: Text | None = None
    firstName: Text | None = None
    lastName: Text | None = None
    isNewCustomer: StrictBool | None = None
    couponCode: Text | None = Field(None, description="Establishes attribution to the advocate who owns it")
    referralCode: Text | None = None
    refCode: Text | None = Field(None, description="Alias of referralCode (Friendbuy's examples use it)")
    attributionId: Text | None = None
    additionalProperties: dict | None = None
    products: list[ProductIn] | None = Field(None, max_length=500)


# ---- parsing -----------------------------------------------------------------------------------


def _id(value: int | str | None, what: str) -> str:
    if value is None or value == "":
        raise InvalidRequest(f"{what} is required")
    text = str(value)
    if not _ID.fullmatch(text):
        raise InvalidRequest(f"{what} {text!r} may only hold letters, digits and . _ : - (at most 64)")
    return text


def _email(value: str | None, what: str) -> str:
    if not value:
        raise InvalidRequest(f"{what} is required")
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        raise InvalidRequest(f"{what} {value!r} is not an email address")
    return value.lower()


def _customer_id(value: int | str | None) -> str | None:
    if value is None or value == "":
        return None
    text = str(value)
    if len(text) > 128:
        raise InvalidRequest("customer id must be at most 128 characters")
    return text


def parse_authorization(body: AuthorizationBody) -> tuple[str, str]:
    if not body.key or not body.secret:
        raise InvalidRequest("key and secret are required")
    return body.key, body.secret


def parse_referral_request(body: ReferralCodeBody) -> ReferralRequest:
    campaign_id = _id(body.campaign.id if body.campaign else None, "campaign.id")
    if body.customer is not None:
        c = body.customer
        advocate = Advocate(customer_id=_customer_id(c.id), email=_email(c.email, "customer.email"),
                            first_name=c.first_name, last_name=c.last_name)
    else:
        advocate = Advocate(email=_email(body.email, "email (or a customer object with an email)"))
    if body.coupon_bank_id is not None and body.coupon_code is not None:
        raise InvalidRequest("Send either coupon_bank_id (a code from a bank) or coupon_code (an existing code), not both")
    if body.coupon_bank_id is not None:
        return ReferralRequest(campaign_id=campaign_id, advocate=advocate,
                               bank_id=_id(body.coupon_bank_id.id, "coupon_bank_id.id"))
    if body.coupon_code is not None:
        return ReferralRequest(campaign_id=campaign_id, advocate=advocate, coupon_code=codes.require_valid(body.coupon_code))
    raise InvalidRequest("Send coupon_bank_id (a code from a bank) or coupon_code (an existing code)")


def parse_lookup(
    email: str | None, customer_id: str | None, campaign_id: str | None
) -> tuple[str | None, str | None, str | None]:
    campaign = _id(campaign_id, "campaignId") if campaign_id else None
    if bool(email) == bool(customer_id):
        raise InvalidRequest("Look up by email or by customerId (one of them)")
    if email:
        return _email(email, "email"), None, campaign
    if any(ord(c) < 0x20 or 0xD800 <= ord(c) <= 0xDFFF for c in customer_id):
        raise InvalidRequest("customerId must be text without control characters")
    return None, _customer_id(customer_id), campaign


def parse_purchase(body: PurchaseBody) -> Purchase:
    order_id = str(body.orderId)
    if not order_id or len(order_id) > 200:
        raise InvalidRequest("orderId must be 1 to 200 characters")
    customer_id = _customer_id(body.customerId)
    if customer_id is None:
        raise InvalidRequest("customerId is required")
    referral_code = body.referralCode or body.refCode
    if body.referralCode and body.refCode and body.referralCode != body.refCode:
        raise InvalidRequest("referralCode and refCode disagree; send one of them")
    return Purchase(
        order_id=order_id, customer_id=customer_id, amount=_decimal(body.amount),
        currency=money.require_currency(body.currency),
        email=_email(body.email, "email") if body.email else None,
        first_name=body.firstName, last_name=body.lastName, is_new_customer=body.isNewCustomer,
        coupon_code=body.couponCode or None, referral_code=referral_code or None, attribution_id=body.attributionId,
        products=[Product(sku=p.sku, name=p.name, quantity=p.quantity,
                          price=_decimal(p.price) if p.price is not None else None) for p in body.products or []],
    )


def _decimal(value: int | float) -> Decimal:
    return Decimal(str(value))  # the number as written, not its binary approximation


# ---- answers -----------------------------------------------------------------------------------


def _campaign_id(value: str) -> int | str:
    """Friendbuy's campaign ids are numbers (53345); echo them as sent."""
    return int(value) if value.isdigit() and len(value) < 16 else value


def _referral(r: Referral, counters: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "referral_code": r.referral_code,
        "trackable_link": r.link,
        "coupon_code": r.coupon_code,
        "campaign": {"id": _campaign_id(r.campaign_id)},
        "customer": {"id": r.customer_id, "email": r.email, "first_name": r.first_name, "last_name": r.last_name},
        "coupon_bank_id": {"id": r.bank_id} if r.bank_id else None,
        "created_at": _iso(r.created_at),
    }
    if counters:
        body["conversions"] = r.conversions
        body["revenue"] = {currency: _amount(value) for currency, value in sorted(r.revenue.items())}
    return body


def referral(r: Referral, created: bool) -> Response:
    return _json(201 if created else 200, _referral(r, counters=False))


def looked_up(r: Referral) -> Response:
    return _json(200, _referral(r, counters=True))


def looked_up_many(found: list[Referral]) -> Response:
    return _json(200, {"count": len(found), "results": [_referral(r, counters=True) for r in found]})


def token(t: Token) -> Response:
    return _json(200, {"tokenType": "Bearer", "token": t.token, "expires": _iso(t.expires)})


def purchase_recorded(event: PurchaseEvent) -> Response:
    if event.attributed:
        attribution = {"status": "attributed", "referralCode": event.referral_code, "couponCode": event.coupon_code,
                       "campaignId": _campaign_id(event.campaign_id)}
    else:
        attribution = {"status": "unattributed", "reason": event.reason}
    return _json(201, {"eventId": event.event_id, "createdOn": _iso(event.created_on), "attribution": attribution})


def error(exc: CouponError) -> Response:
    status = 400 if isinstance(exc, MalformedBody) else next(
        code for cls, code in _STATUS.items() if isinstance(exc, cls))
    headers = {"Retry-After": "1"} if status == 429 else None
    return _json(status, {"error": HTTPStatus(status).phrase, "message": exc.message, "code": status}, headers)


def malformed(problems: list[dict[str, Any]]) -> Response:
    """Powertools' validation of the body or the query failed."""
    for problem in problems:
        loc = [str(part) for part in problem.get("loc", ()) if part != "body"]
        kind = problem.get("type", "")
        if kind == "json_invalid" or (not loc and kind in ("missing", "model_attributes_type", "dict_type")):
            return error(MalformedBody("The body must be a JSON object"))
    where, message = first_problem(problems, "is not valid")
    return error(InvalidRequest(f"{where or 'request'}: {message}"))


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _amount(value: Decimal) -> str:
    return money.to_wire(value) if value == value.quantize(Decimal("0.01")) else str(value)



def credentials_of(authorization: str | None) -> credentials.Presented:
    """Who is calling, as Friendbuy's clients say it: ``Authorization: Bearer <token>`` or HTTP
    Basic ``key:secret`` (the older REST API's)."""
    return credentials.from_authorization(authorization)


# The refusals' shape, for OpenAPI (the routes' responses=).
class FriendbuyError(BaseModel):
    error: str = Field(description="The status's reason phrase", examples=["Unprocessable Entity"])
    message: str
    code: int = Field(description="The HTTP status again")

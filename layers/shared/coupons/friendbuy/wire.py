"""Friendbuy: the Merchant API's authorization and events, and the older REST API's referral codes
with coupon banks (docs/friendbuy.md names the sources).

Routes and bodies: docs/friendbuy.md, "Routes" and "Request fields, and where each comes from"; errors follow Friendbuy's Error
schema with API Gateway's request id as ``reference`` ("Answers and errors")."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    WithJsonSchema,
)

from coupons.core import credentials, emails, money
from coupons.core.base_model import Model
from coupons.core.errors import CodeTaken, CouponError, Forbidden, InvalidRequest, NotFound, Unauthenticated, Unavailable
from coupons.core.observability import logger
from coupons.core.responses import first_problem
from coupons.core.responses import json_response as _json
from coupons.friendbuy import events
from coupons.friendbuy.banks import CODE_ALPHABET, BankEmpty, require_code
from coupons.friendbuy.campaigns import Token
from coupons.friendbuy.events import Event, Recorded
from coupons.friendbuy.purchases import Product, Purchase, PurchaseEvent
from coupons.friendbuy.referrals import Advocate, AdvocateHasCode, PersonalLink, Referral, ReferralRequest

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
# The reason phrases Friendbuy's API answers with, spelled out: Python 3.13's HTTPStatus renamed
# 422's to "Unprocessable Content" (RFC 9110), and the wire must not change with the interpreter.
_REASONS = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 409: "Conflict",
            422: "Unprocessable Entity", 429: "Too Many Requests"}


class MalformedBody(InvalidRequest):
    """The body is not a JSON object at all (400, where a bad field is 422)."""


_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}", re.ASCII)


def _plain_text(value: str) -> str:
    if any(0xD800 <= ord(c) <= 0xDFFF or ord(c) < 0x20 for c in value):
        raise ValueError("must be text without control characters")
    return value


_PLAIN = {"pattern": "^[^\\x00-\\x1f]*$"}  # _plain_text's rule, for OpenAPI
Text = Annotated[StrictStr, Field(max_length=256, json_schema_extra=_PLAIN), AfterValidator(_plain_text)]
LongText = Annotated[StrictStr, Field(max_length=1024, json_schema_extra=_PLAIN), AfterValidator(_plain_text)]  # user agents


def _whole(value: Any) -> Any:
    """A JSON number with no fraction is a whole number however it is written (``73.0``: JSON
    Schema's ``integer`` says so, and some JSON writers print integers that way)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


# Whole numbers stay within what every JSON reader holds exactly (JavaScript's safe integers): an
# id beyond them reaches nobody intact, and a schema's bound beyond them would be read as a float.
SAFE_INTEGER = 2**53 - 1
Whole = Annotated[StrictInt, BeforeValidator(_whole), Field(ge=-SAFE_INTEGER, le=SAFE_INTEGER)]
SMALLEST = 1e-130  # DynamoDB stores no number nearer 0 (one was a 500)


def _storable(value: float) -> float:
    if 0 < abs(value) < SMALLEST:
        raise ValueError(f"must be 0 or at least {SMALLEST}")
    return value


# Amounts and prices: any JSON number Friendbuy's clients send, but none DynamoDB cannot store.
Number = Annotated[StrictInt | StrictFloat, AfterValidator(_storable),
                   WithJsonSchema({"anyOf": [{"type": "integer"}, {"const": 0}, {"type": "number", "minimum": SMALLEST}]})]
# Friendbuy documents additionalProperties as string values (Segment's destination drops the others).
# Names are not empty: DynamoDB refuses an empty attribute name in a stored map.
Properties = Annotated[dict[Annotated[StrictStr, Field(min_length=1, max_length=128)], LongText], Field(max_length=100)]


def _as_query_text(value: Any) -> Any:
    """A JSON scalar as it reads in a URL: Friendbuy's own example sends ``{"vip": true}``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal) or (isinstance(value, float) and value == value):
        return str(value)
    return value  # text as it is; anything else (null, lists, objects) is refused as not text


QueryText = Annotated[LongText, BeforeValidator(_as_query_text), WithJsonSchema(
    {"anyOf": [{"type": "string", "maxLength": 1024, **_PLAIN}, {"type": "boolean"}, {"type": "number"}]})]
QueryParams = Annotated[dict[Annotated[StrictStr, Field(min_length=1, max_length=128)], QueryText], Field(max_length=100)]


# ---- what parse_* refuse, for OpenAPI: the models keep fields optional (a refusal in our words),
# and these schemas say what is required and how each field must look, across fields too ----

_NULL = {"type": "null"}
_EMAIL = emails.ADDRESS_SCHEMA
_EMAIL_OR_NONE = {"anyOf": [_EMAIL, {"const": ""}, _NULL]}  # an empty email is no email


_WHOLE = {"type": "integer", "minimum": -SAFE_INTEGER, "maximum": SAFE_INTEGER}


def _int_or_text(most: int, least: int = 0) -> dict[str, Any]:
    """A number or text whose text is ``least`` to ``most`` characters (``str(value)``)."""
    return {"anyOf": [_WHOLE, {"type": "string", "minLength": least, "maxLength": most, **_PLAIN}]}


_ID_RULE = {"anyOf": [_WHOLE, {"type": "string", "pattern": f"^{_ID.pattern}$"}]}  # _id
_CUSTOMER_ID = {"anyOf": [*_int_or_text(128)["anyOf"], _NULL]}  # _customer_id: empty or null is none
_REQUIRED_CUSTOMER_ID = _int_or_text(128, least=1)
_IDENTIFIED = {"type": "object", "required": ["id"], "properties": {"id": _ID_RULE}}
_ISO_CURRENCY = {"type": "string", "pattern": money.CURRENCY_SCHEMA}


def _properties(**schemas: dict[str, Any]) -> dict[str, Any]:
    return {"properties": schemas}


def _rules(*rules: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """A model's ``json_schema_extra``: its required fields and rules (each a schema it must match)."""
    return {"required": list(required), "allOf": list(rules)} if required else {"allOf": list(rules)}


_PERSON = _properties(email=_EMAIL, customerId=_REQUIRED_CUSTOMER_ID)  # sign-ups and customers


# ---- request bodies (everything optional, so that a missing field is explained in our words) ----


class IdRef(Model):
    model_config = ConfigDict(extra="ignore")
    id: Whole | Text | None = None


class CustomerIn(Model):
    model_config = ConfigDict(extra="ignore")
    id: Whole | Text | None = None
    first_name: Text | None = None
    last_name: Text | None = None
    email: Text | None = None


class ReferralCodeBody(Model):
    """The older REST API's body, as in Friendbuy's coupon-bank article."""

    model_config = ConfigDict(extra="ignore", json_schema_extra=_rules(
        _properties(campaign=_IDENTIFIED),
        {"anyOf": [{"required": ["customer"], **_properties(customer={
                       "type": "object", "required": ["email"], **_properties(email=_EMAIL, id=_CUSTOMER_ID)})},
                   {"required": ["email"], **_properties(customer=_NULL, email=_EMAIL)}]},
        {"anyOf": [{"required": ["coupon_bank_id"], **_properties(coupon_bank_id=_IDENTIFIED, coupon_code=_NULL)},
                   {"required": ["coupon_code"], **_properties(coupon_bank_id=_NULL, coupon_code={
                       "type": "string", "pattern": CODE_ALPHABET.schema})}]},
        required=("campaign",)))
    campaign: IdRef | None = Field(None, description="The campaign, by id (required)")
    customer: CustomerIn | None = Field(None, description="The advocate: id recommended, email required")
    email: Text | None = Field(None, description="The advocate's email when there is no customer object")
    coupon_bank_id: IdRef | None = Field(None, description="Use case 1: give the advocate a code from this bank")
    coupon_code: Text | None = Field(None, description="Use case 2: give the advocate this existing code")


class AuthorizationBody(Model):
    model_config = ConfigDict(extra="ignore", json_schema_extra=_rules(
        _properties(key={"type": "string", "minLength": 1}, secret={"type": "string", "minLength": 1}),
        required=("key", "secret")))
    key: Text | None = Field(None, description="The campaign's access key")
    secret: Text | None = Field(None, description="The access key's secret")


class ProductIn(Model):
    model_config = ConfigDict(extra="ignore")
    sku: Text | None = None
    name: Text | None = None
    quantity: Whole | None = Field(None, ge=0, le=1_000_000)
    price: Number | None = Field(None, ge=0, le=1_000_000_000_000)


class PurchaseBody(Model):
    """The Merchant API's purchase event."""

    model_config = ConfigDict(extra="ignore", json_schema_extra=_rules(
        _properties(orderId=_int_or_text(200, least=1), customerId=_REQUIRED_CUSTOMER_ID, currency=_ISO_CURRENCY,
                    email=_EMAIL_OR_NONE),
        # referralCode and its alias refCode: one of them (both: only when equal, which no schema can say)
        {"not": {"required": ["referralCode", "refCode"], **_properties(
            referralCode={"type": "string", "minLength": 1}, refCode={"type": "string", "minLength": 1})}},
        required=("orderId", "customerId", "amount", "currency")))
    orderId: Whole | Text = Field(description="Unique order id: the same id twice is recorded once")
    customerId: Whole | Text
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
    additionalProperties: Properties | None = None
    products: list[ProductIn] | None = Field(None, max_length=500)
    giftCardCodes: list[Text] | None = Field(None, max_length=50, description="Segment's destination sends them")
    ipAddress: Text | None = None
    userAgent: LongText | None = None


class Birthday(Model):
    model_config = ConfigDict(extra="ignore")
    day: Whole = Field(ge=1, le=31)
    month: Whole = Field(ge=1, le=12)
    year: Whole | None = Field(None, ge=1800, le=2200)


class PersonFields(Model):
    """Fields sign-ups, customers and custom events share (friendbuy/slate ``_api_docs.md``)."""

    model_config = ConfigDict(extra="ignore")
    email: Text | None = None
    customerId: Whole | Text | None = None
    firstName: Text | None = None
    lastName: Text | None = None
    isNewCustomer: StrictBool | None = None
    couponCode: Text | None = None
    attributionId: Text | None = None
    referralCode: Text | None = None
    additionalProperties: Properties | None = None
    ipAddress: Text | None = None
    userAgent: LongText | None = None


class SignUpBody(PersonFields):
    """``POST /v1/event/account-sign-up``: email and customerId required."""

    model_config = ConfigDict(json_schema_extra=_rules(_PERSON, required=("email", "customerId")))

    timezone: Text | None = None
    birthday: Birthday | None = None
    age: Whole | None = Field(None, ge=0, le=200)
    loyaltyStatus: Text | None = None  # Segment's destination sends it


class CustomerBody(SignUpBody):
    """``POST /v1/customer``: email and customerId required."""

    gender: Text | None = None
    zipCode: Text | None = None
    state: Text | None = None
    city: Text | None = None
    category: Text | None = None
    country: Text | None = None
    language: Text | None = None


class CustomEventBody(PersonFields):
    """``POST /v1/event/custom``: eventType required (see ``parse_event`` for email)."""

    model_config = ConfigDict(json_schema_extra=_rules(
        _properties(eventType={"type": "string", "minLength": 1}, email=_EMAIL_OR_NONE, customerId=_CUSTOMER_ID),
        required=("eventType",)))

    eventType: Text | None = None
    deduplicationId: Text | None = None


class ReferralLinkBody(Model):
    """``POST /v1/personal-referral-link``: email and campaignId required."""

    model_config = ConfigDict(extra="ignore", json_schema_extra=_rules(
        _properties(email=_EMAIL, campaignId=_ID_RULE, customerId=_CUSTOMER_ID), required=("email", "campaignId")))
    email: Text | None = None
    campaignId: Whole | Text | None = Field(None, description="A string in Friendbuy's docs; a number is accepted")
    customerId: Whole | Text | None = None
    firstName: Text | None = None
    lastName: Text | None = None
    destinationUrlQueryParams: QueryParams | None = None
    seed: Text | None = None  # documented (vanity URL); not used: links here are built from the referral code
    channel: Text | None = None
    ipAddress: Text | None = None
    userAgent: LongText | None = None


class LegacyOrder(Model):
    model_config = ConfigDict(extra="ignore")
    id: Whole | Text | None = None
    amount: Number | None = Field(None, ge=0, le=1_000_000_000_000)
    currency: Text | None = None
    email: Text | None = None
    new_customer: StrictBool | None = None


class LegacyProduct(Model):
    model_config = ConfigDict(extra="ignore")
    sku: Whole | Text | None = None
    description: Text | None = None
    quantity: Whole | None = Field(None, ge=0, le=1_000_000)
    price: Number | None = Field(None, ge=0, le=1_000_000_000_000)


class LegacyPurchaseBody(Model):
    """The older REST API's ``POST /v1/purchases`` (help.friendbuy.com "Using the REST API to record
    conversions"; Friendbuy's pre-distributed coupon code page: ``coupon_code`` may stand in for ``referral_code``)."""

    model_config = ConfigDict(extra="ignore", json_schema_extra=_rules(
        _properties(order={"type": "object", "required": ["id", "amount"], **_properties(
            id=_int_or_text(200, least=1), amount={"type": "number"}, currency={"anyOf": [_ISO_CURRENCY, {"const": ""}, _NULL]})},
            customer={"anyOf": [_NULL, _properties(id=_CUSTOMER_ID)]}),
        # the order's email, or else the customer's, is checked
        {"anyOf": [_properties(order={"type": "object", "required": ["email"], **_properties(email=_EMAIL)}),
                   _properties(order=_properties(email={"enum": ["", None]}),
                               customer={"anyOf": [_NULL, _properties(email=_EMAIL_OR_NONE)]})]},
        required=("order",)))
    order: LegacyOrder | None = None
    referral_code: Text | None = None
    coupon_code: Text | None = None
    customer: CustomerIn | None = None
    products: list[LegacyProduct] | None = Field(None, max_length=500)


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
    if not emails.is_address(value):
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
        return ReferralRequest(campaign_id=campaign_id, advocate=advocate, coupon_code=require_code(body.coupon_code))
    raise InvalidRequest("Send coupon_bank_id (a code from a bank) or coupon_code (an existing code)")


def parse_lookup(
    email: str | None, customer_id: str | None, campaign_id: str | None
) -> tuple[str | None, str | None, str | None]:
    campaign = _id(campaign_id, "campaignId") if campaign_id else None
    if bool(email) == bool(customer_id):
        raise InvalidRequest("Look up by email or by customerId (one of them)")
    if email:
        return _email(email, "email"), None, campaign
    if any(ord(c) < 0x20 or 0xD800 <= ord(c) <= 0xDFFF for c in customer_id or ""):
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
        coupon_code=body.couponCode or None, referral_code=referral_code or None,
        attribution_id=body.attributionId or None,
        products=[Product(sku=p.sku, name=p.name, quantity=p.quantity,
                          price=_decimal(p.price) if p.price is not None else None) for p in body.products or []],
        gift_card_codes=body.giftCardCodes or [], ip_address=body.ipAddress, user_agent=body.userAgent,
        additional_properties=body.additionalProperties or {},
    )


def parse_legacy_purchase(body: LegacyPurchaseBody) -> Purchase:
    """The older REST API's purchase as the same ``Purchase`` the Merchant API's makes (so one order
    id is one purchase, whichever API reported it). ``coupon_code`` and ``referral_code`` may both
    come; attribution tries the coupon code first."""
    order = body.order
    if order is None:
        raise InvalidRequest("order is required: {\"order\": {\"id\", \"amount\", ...}}")
    order_id = str(order.id) if order.id is not None else ""
    if not order_id or len(order_id) > 200:
        raise InvalidRequest("order.id must be 1 to 200 characters")
    if order.amount is None:
        raise InvalidRequest("order.amount is required")
    customer = body.customer or CustomerIn()
    email = order.email or customer.email
    return Purchase(
        order_id=order_id, customer_id=_customer_id(customer.id), amount=_decimal(order.amount),
        # The legacy examples carry no currency; Friendbuy's legacy platform reported in the account's
        # currency, US dollars for the examples. Sent, it is checked like the Merchant API's.
        currency=money.require_currency(order.currency or "USD"),
        email=_email(email, "order.email") if email else None, first_name=customer.first_name,
        last_name=customer.last_name, is_new_customer=order.new_customer,
        coupon_code=body.coupon_code or None, referral_code=body.referral_code or None,
        products=[Product(sku=str(p.sku) if p.sku is not None else None, name=p.description, quantity=p.quantity,
                          price=_decimal(p.price) if p.price is not None else None) for p in body.products or []],
        source="rest",
    )


def parse_event(body: PersonFields, kind: str) -> Event:
    """A sign-up, customer or custom event. Required as Friendbuy documents them: email and
    customerId for sign-ups and customers; eventType for custom events, whose documented-required
    email Friendbuy's own Segment destination omits (its test bodies), so it is optional here."""
    customer_id = _customer_id(body.customerId)
    email: str | None
    if kind in (events.SIGN_UP, events.CUSTOMER):
        email = _email(body.email, "email")
        if customer_id is None:
            raise InvalidRequest("customerId is required")
    else:
        email = _email(body.email, "email") if body.email else None
    profile: dict[str, Any] = {}
    if isinstance(body, SignUpBody):
        extras = body.model_dump(include={"timezone", "age", "loyaltyStatus", "gender", "zipCode", "state", "city",
                                          "category", "country", "language"}, exclude_none=True)
        profile = {_snake(k): v for k, v in extras.items()}
        if body.birthday is not None:
            profile["birthday"] = body.birthday.model_dump(exclude_none=True)
    custom = body if isinstance(body, CustomEventBody) else None
    if custom is not None and not custom.eventType:
        raise InvalidRequest("eventType is required")
    return Event(
        kind=kind, email=email or "", customer_id=customer_id,
        event_type=custom.eventType if custom else None, deduplication_id=custom.deduplicationId if custom else None,
        first_name=body.firstName, last_name=body.lastName, is_new_customer=body.isNewCustomer,
        coupon_code=body.couponCode or None, attribution_id=body.attributionId or None,
        referral_code=body.referralCode or None, ip_address=body.ipAddress, user_agent=body.userAgent,
        additional_properties=body.additionalProperties or {}, profile=profile,
    )


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def parse_referral_link(body: ReferralLinkBody) -> tuple[str, Advocate, dict[str, str]]:
    campaign_id = _id(body.campaignId, "campaignId")
    advocate = Advocate(customer_id=_customer_id(body.customerId), email=_email(body.email, "email"),
                        first_name=body.firstName, last_name=body.lastName)
    return campaign_id, advocate, dict(body.destinationUrlQueryParams or {})


def parse_erasure(customer_id: str | None, email: str | None) -> tuple[str | None, str | None]:
    if not customer_id and not email:
        raise InvalidRequest("Name the person to erase: customerId or email (or both)")
    if customer_id and any(ord(c) < 0x20 or 0xD800 <= ord(c) <= 0xDFFF for c in customer_id):
        raise InvalidRequest("customerId must be text without control characters")
    return _customer_id(customer_id), _email(email, "email") if email else None


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


def _attribution(attributed: bool, by: str | None, referral_code: str | None, campaign_id: str | None,
                 reason: str | None, coupon_code: str | None = None) -> dict[str, Any]:
    """Our addition to Friendbuy's answer: whom the event was credited to, by which field, or why nobody."""
    if not attributed:
        return {"status": "unattributed", "reason": reason}
    answer = {"status": "attributed", "by": by, "referralCode": referral_code, "couponCode": coupon_code,
              "campaignId": _campaign_id(campaign_id or "")}
    return answer


def purchase_recorded(event: PurchaseEvent) -> Response:
    attribution = _attribution(event.attributed, event.attributed_by, event.referral_code, event.campaign_id,
                               event.reason, event.coupon_code)
    return _json(201, {"eventId": event.event_id, "createdOn": _iso(event.created_on), "attribution": attribution})


def event_recorded(kind: str, recorded: Recorded) -> Response:
    body: dict[str, Any] = {"eventId": recorded.event_id, "createdOn": _iso(recorded.created_on)}
    if kind == events.CUSTOMER:  # Friendbuy: 201 created, 200 "Customer already exists - updated"
        return _json(200 if recorded.replayed else 201, body)
    body["attribution"] = _attribution(recorded.attributed, recorded.attributed_by, recorded.referral_code,
                                       recorded.campaign_id, recorded.reason)
    return _json(201, body)


def referral_link(made: PersonalLink) -> Response:
    return _json(201 if made.created else 200, {"link": made.link, "referralCode": made.referral.referral_code,
                                                "createdOn": _iso(made.referral.created_at)})


def erased(job_id: str, scrubbed: int) -> Response:
    """Friendbuy answers ``{"jobId"}``; ``scrubbed`` (items changed) is ours: erasure here is done, not queued."""
    return _json(200, {"jobId": job_id, "scrubbed": scrubbed})


def error(exc: CouponError, reference: str | None = None) -> Response:
    status = 400 if isinstance(exc, MalformedBody) else next(
        code for cls, code in _STATUS.items() if isinstance(exc, cls))
    headers = {"Retry-After": "1"} if status == 429 else None
    return _json(status, {"error": _REASONS[status], "message": exc.message, "code": status,
                          "reference": reference or logger.get_correlation_id() or ""}, headers)


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
    """Who is calling, as Friendbuy's clients say it: ``Authorization: Bearer <token>``, the bare
    ``<token>`` (Segment's Friendbuy destination: ``headers: {Authorization: authToken}``), or HTTP
    Basic ``key:secret`` (the older REST API's). Anything else is no credential (401)."""
    presented = credentials.from_authorization(authorization)
    if presented.scheme != "none":
        return presented
    value = (authorization or "").strip()
    if value and not any(c.isspace() for c in value) and value.lower() not in ("bearer", "basic"):
        return credentials.Presented("bearer", value)
    return credentials.NOTHING


# Query parameters (OpenAPI); an empty one reads as absent.
_UNANCHORED_EMAIL = _EMAIL["pattern"][1:-1]
EMAIL_QUERY = {"pattern": f"^(?:|{_UNANCHORED_EMAIL})$", "maxLength": emails.MAX_LENGTH}
CUSTOMER_ID_QUERY = {"pattern": "^[^\\x00-\\x1f]{0,128}$"}
CAMPAIGN_ID_QUERY = {"pattern": f"^(?:|{_ID.pattern})$"}
LOOKUP_RULE = "Exactly one of email and customerId (not empty); 422 otherwise."
ERASURE_RULE = "customerId or email, or both (not both empty); 422 otherwise."

# Who may call every route but the authorization (``credentials_of``).
SECURITY_SCHEMES = {
    "friendbuy_token": {"type": "http", "scheme": "bearer", "description": "The token from POST /v1/authorization"},
    "friendbuy_bare_token": {"type": "apiKey", "in": "header", "name": "Authorization",
                             "description": "The same token without 'Bearer ' (Segment's Friendbuy destination)"},
    "friendbuy_key_secret": {"type": "http", "scheme": "basic", "description": "Access key and secret (older REST API)"},
}
SECURITY: list[dict[str, list[str]]] = [{name: []} for name in SECURITY_SCHEMES]


# The refusals' shape, for OpenAPI (the routes' responses=).
class FriendbuyError(Model):
    error: str = Field(description="The status's reason phrase", examples=["Unprocessable Entity"])
    message: str
    code: int = Field(description="The HTTP status again")
    reference: str = Field(description="API Gateway's request id (the logs' correlation id), for a brand to quote")

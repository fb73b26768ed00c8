"""Friendbuy: authorization, referral codes from coupon banks, personal referral links, purchase,
sign-up, customer and custom events, erasure, and the older REST API's purchases.
Wire format: coupons.friendbuy.wire."""

import gc

gc.disable()  # until init_phase.finished(), this module's last line: see coupons.core.init_phase

import uuid
from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.metrics import MetricUnit

import coupons.core.snapstart  # noqa: F401 - SnapStart: fresh clients after restore (no-op elsewhere)
from coupons.core import init_phase
from coupons.core.http_api import entry_point, refuse_with
from coupons.core.observability import logger, masked, metrics, tracer
from coupons.core.responses import documented
from coupons.core.table import Table
from coupons.friendbuy import campaigns, erasure, events, purchases, referrals, wire

app = APIGatewayHttpResolver(enable_validation=True)
table = Table.from_env()

AUTHORIZATION = "/friendbuy/v1/authorization"
ERRORS = {
    400: documented("The body is not a JSON object", wire.FriendbuyError),
    401: documented("Missing, wrong or expired credentials (Bearer token, bare token or Basic key:secret)",
                    wire.FriendbuyError),
    422: documented("A field is missing or invalid", wire.FriendbuyError),
    429: documented("Busy; send the same request again", wire.FriendbuyError),
}


def _caller() -> campaigns.Caller:
    return campaigns.caller(table, wire.credentials_of(app.current_event.headers.get("authorization")))


@app.post(AUTHORIZATION, summary="Trade the access key and secret for a bearer token (20 minutes)",
          tags=["Friendbuy"], responses={200: {"description": "The token"}, **ERRORS})
@tracer.capture_method
def authorize(body: Annotated[wire.AuthorizationBody, Body()]) -> Response[dict]:
    key, secret = wire.parse_authorization(body)
    return wire.token(campaigns.authorize(table, key, secret))


@app.post("/friendbuy/v1/referral_codes",
          summary="Give an advocate a coupon code (from a bank, or a named one) and a referral code",
          tags=["Friendbuy"], security=wire.SECURITY, responses={
              200: {"description": "The advocate's existing referral (asked before)"},
              201: {"description": "A new referral"},
              404: documented("Unknown or inactive campaign, unknown bank or coupon code", wire.FriendbuyError),
              409: documented("The bank is empty, or the code or the advocate is taken", wire.FriendbuyError), **ERRORS})
@tracer.capture_method
def create_referral_code(body: Annotated[wire.ReferralCodeBody, Body()]) -> Response[dict]:
    caller = _caller()
    request = wire.parse_referral_request(body)
    referred = referrals.refer(table, caller, request)
    if referred.created:
        metrics.add_metric(name="ReferralCodesCreated", unit=MetricUnit.Count, value=1)
    logger.info("referral code", extra={"campaign": request.campaign_id, "referral_code": masked(referred.referral.referral_code),
                                        "new": referred.created})
    return wire.referral(referred.referral, referred.created)


@app.get("/friendbuy/v1/referral_codes/<referral_code>", summary="Who owns a referral code, its coupon, its conversions",
         tags=["Friendbuy"], security=wire.SECURITY, responses={200: {"description": "The referral"},
                                         404: documented("Unknown", wire.FriendbuyError), **ERRORS})
@tracer.capture_method
def get_referral_code(referral_code: str) -> Response[dict]:
    return wire.looked_up(referrals.find(table, _caller(), referral_code))


@app.get("/friendbuy/v1/referral_codes", summary="An advocate's referral codes, by email or customer id",
         description=wire.LOOKUP_RULE, tags=["Friendbuy"], security=wire.SECURITY,
         responses={200: {"description": '{"count", "results": [...]}'}, **ERRORS})
@tracer.capture_method
def find_referral_codes(
    email: Annotated[str | None, Query(json_schema_extra=wire.EMAIL_QUERY)] = None,
    customerId: Annotated[str | None, Query(json_schema_extra=wire.CUSTOMER_ID_QUERY)] = None,
    campaignId: Annotated[str | None, Query(json_schema_extra=wire.CAMPAIGN_ID_QUERY)] = None,
) -> Response[dict]:
    caller = _caller()
    by_email, by_customer, campaign = wire.parse_lookup(email, customerId, campaignId)
    if by_email:
        return wire.looked_up_many(referrals.find_by_email(table, caller, by_email, campaign))
    return wire.looked_up_many(referrals.find_by_customer(table, caller, by_customer, campaign))


@app.post("/friendbuy/v1/event/purchase", summary="Record a purchase, attributed by coupon code or referral code",
          tags=["Friendbuy"], security=wire.SECURITY, responses={201: {"description": "Recorded (once per orderId)"}, **ERRORS})
@tracer.capture_method
def purchase(body: Annotated[wire.PurchaseBody, Body()]) -> Response[dict]:
    caller = _caller()
    event = purchases.record_purchase(table, wire.parse_purchase(body), caller.campaigns, caller.home)
    if not event.replayed:
        metrics.add_metric(name="PurchasesAttributed" if event.attributed else "PurchasesUnattributed",
                           unit=MetricUnit.Count, value=1)
    logger.info("purchase", extra={"order_id": masked(event.order_id), "attributed": event.attributed,
                                   "replayed": event.replayed})
    return wire.purchase_recorded(event)


@app.post("/friendbuy/v1/purchases", summary="The older REST API's purchase (HTTP Basic; coupon_code or referral_code)",
          tags=["Friendbuy"], security=wire.SECURITY, responses={201: {"description": "Recorded (once per order id)"}, **ERRORS})
@tracer.capture_method
def legacy_purchase(body: Annotated[wire.LegacyPurchaseBody, Body()]) -> Response[dict]:
    caller = _caller()
    event = purchases.record_purchase(table, wire.parse_legacy_purchase(body), caller.campaigns, caller.home)
    logger.info("purchase", extra={"order_id": masked(event.order_id), "attributed": event.attributed, "replayed": event.replayed,
                                   "api": "rest"})
    return wire.purchase_recorded(event)


@app.post("/friendbuy/v1/personal-referral-link", summary="An advocate's personal referral link (made once)",
          tags=["Friendbuy"], security=wire.SECURITY, responses={
              200: {"description": "The advocate's existing link"}, 201: {"description": "A new link"},
              404: documented("Unknown or inactive campaign", wire.FriendbuyError), **ERRORS})
@tracer.capture_method
def personal_referral_link(body: Annotated[wire.ReferralLinkBody, Body()]) -> Response[dict]:
    caller = _caller()
    campaign_id, advocate, params = wire.parse_referral_link(body)
    made = referrals.personal_link(table, caller, campaign_id, advocate, params)
    logger.info("personal referral link", extra={"campaign": campaign_id, "referral_code": masked(made.referral.referral_code),
                                                 "new": made.created})
    return wire.referral_link(made)


def _event(body: wire.PersonFields, kind: str) -> Response[dict]:
    caller = _caller()
    recorded = events.record(table, caller, wire.parse_event(body, kind))
    logger.info("event", extra={"kind": kind, "attributed": recorded.attributed, "replayed": recorded.replayed})
    return wire.event_recorded(kind, recorded)


@app.post("/friendbuy/v1/event/account-sign-up", summary="Record a sign-up, linked to its advocate when it names one",
          tags=["Friendbuy"], security=wire.SECURITY,
          responses={201: {"description": "Recorded (once per customerId)"}, **ERRORS})
@tracer.capture_method
def sign_up(body: Annotated[wire.SignUpBody, Body()]) -> Response[dict]:
    return _event(body, events.SIGN_UP)


@app.post("/friendbuy/v1/customer", summary="Record (or update) a customer",
          tags=["Friendbuy"], security=wire.SECURITY,
          responses={200: {"description": "Existed: updated"}, 201: {"description": "Created"}, **ERRORS})
@tracer.capture_method
def customer(body: Annotated[wire.CustomerBody, Body()]) -> Response[dict]:
    return _event(body, events.CUSTOMER)


@app.post("/friendbuy/v1/event/custom", summary="Record a custom event (once per eventType and deduplicationId)",
          tags=["Friendbuy"], security=wire.SECURITY, responses={201: {"description": "Recorded"}, **ERRORS})
@tracer.capture_method
def custom_event(body: Annotated[wire.CustomEventBody, Body()]) -> Response[dict]:
    return _event(body, events.CUSTOM)


@app.delete("/friendbuy/v1/user-data", summary="Erase a person's personal data from the caller's campaigns",
            description=wire.ERASURE_RULE, tags=["Friendbuy"], security=wire.SECURITY,
            responses={200: {"description": '{"jobId", "scrubbed": <items changed>}'}, **ERRORS})
@tracer.capture_method
def delete_user_data(
    customerId: Annotated[str | None, Query(json_schema_extra=wire.CUSTOMER_ID_QUERY)] = None,
    email: Annotated[str | None, Query(json_schema_extra=wire.EMAIL_QUERY)] = None,
) -> Response[dict]:
    caller = _caller()
    by_customer, by_email = wire.parse_erasure(customerId, email)
    scrubbed = erasure.erase(table, caller, by_customer, by_email)
    metrics.add_metric(name="ErasureItemsScrubbed", unit=MetricUnit.Count, value=scrubbed)
    logger.info("erasure", extra={"scrubbed": scrubbed, "by": "customerId" if by_customer else "email"})
    return wire.erased(str(uuid.uuid4()), scrubbed)


def _credentials_first() -> None:
    """Powertools validates before the route runs; credentials are still checked first, so a caller
    without them learns nothing about the body's rules (the authorization route has none yet)."""
    if app.current_event.path != AUTHORIZATION:
        _caller()


refuse_with(app, wire, authenticate_first=_credentials_first)
lambda_handler = entry_point(app, json_bodies=True)
init_phase.finished()

"""Friendbuy: authorization, referral codes from coupon banks, purchase events.
Wire format: coupons.friendbuy.wire."""

from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.metrics import MetricUnit

import coupons.core.snapstart  # noqa: F401 - SnapStart: fresh clients after restore (no-op elsewhere)
from coupons.core.errors import CouponError
from coupons.core.http_api import entry_point, refuse_with
from coupons.core.observability import logger, metrics, tracer
from coupons.core.responses import documented
from coupons.core.table import Table
from coupons.friendbuy import campaigns, purchases, referrals
from coupons.friendbuy import wire as contract

app = APIGatewayHttpResolver(enable_validation=True)
table = Table.from_env()

AUTHORIZATION = "/friendbuy/v1/authorization"
ERRORS = {
    400: documented("The body is not a JSON object", contract.FriendbuyError),
    401: documented("Missing, wrong or expired credentials (Bearer token or Basic key:secret)", contract.FriendbuyError),
    422: documented("A field is missing or invalid", contract.FriendbuyError),
    429: documented("Busy; send the same request again", contract.FriendbuyError),
}


def _caller() -> campaigns.Caller:
    return campaigns.caller(table, contract.credentials_of(app.current_event.headers.get("authorization")))


@app.post(AUTHORIZATION, summary="Trade the access key and secret for a bearer token (20 minutes)",
          tags=["Friendbuy"], responses={200: {"description": "The token"}, **ERRORS})
@tracer.capture_method
def authorize(body: Annotated[contract.AuthorizationBody, Body()]) -> Response[dict]:
    key, secret = contract.parse_authorization(body)
    return contract.token(campaigns.authorize(table, key, secret))


@app.post("/friendbuy/v1/referral_codes",
          summary="Give an advocate a coupon code (from a bank, or a named one) and a referral code",
          tags=["Friendbuy"], responses={
              200: {"description": "The advocate's existing referral (asked before)"},
              201: {"description": "A new referral"},
              404: documented("Unknown or inactive campaign, unknown bank or coupon code", contract.FriendbuyError),
              409: documented("The bank is empty, or the code or the advocate is taken", contract.FriendbuyError), **ERRORS})
@tracer.capture_method
def create_referral_code(body: Annotated[contract.ReferralCodeBody, Body()]) -> Response[dict]:
    caller = _caller()
    request = contract.parse_referral_request(body)
    referred = referrals.refer(table, caller, request)
    if referred.created:
        metrics.add_metric(name="ReferralCodesCreated", unit=MetricUnit.Count, value=1)
    logger.info("referral code", extra={"campaign": request.campaign_id, "referral_code": referred.referral.referral_code,
                                        "new": referred.created})
    return contract.referral(referred.referral, referred.created)


@app.get("/friendbuy/v1/referral_codes/<referral_code>", summary="Who owns a referral code, its coupon, its conversions",
         tags=["Friendbuy"], responses={200: {"description": "The referral"},
                                         404: documented("Unknown", contract.FriendbuyError), **ERRORS})
@tracer.capture_method
def get_referral_code(referral_code: str) -> Response[dict]:
    return contract.looked_up(referrals.find(table, _caller(), referral_code))


@app.get("/friendbuy/v1/referral_codes", summary="An advocate's referral codes, by email or customer id",
         tags=["Friendbuy"], responses={200: {"description": '{"count", "results": [...]}'}, **ERRORS})
@tracer.capture_method
def find_referral_codes(
    email: Annotated[str | None, Query()] = None,
    customerId: Annotated[str | None, Query()] = None,
    campaignId: Annotated[str | None, Query()] = None,
) -> Response[dict]:
    caller = _caller()
    by_email, by_customer, campaign = contract.parse_lookup(email, customerId, campaignId)
    if by_email:
        return contract.looked_up_many(referrals.find_by_email(table, caller, by_email, campaign))
    return contract.looked_up_many(referrals.find_by_customer(table, caller, by_customer, campaign))


@app.post("/friendbuy/v1/event/purchase", summary="Record a purchase, attributed by coupon code or referral code",
          tags=["Friendbuy"], responses={201: {"description": "Recorded (once per orderId)"}, **ERRORS})
@tracer.capture_method
def purchase(body: Annotated[contract.PurchaseBody, Body()]) -> Response[dict]:
    caller = _caller()
    event = purchases.record_purchase(table, contract.parse_purchase(body), caller.campaigns)
    if not event.replayed:
        metrics.add_metric(name="PurchasesAttributed" if event.attributed else "PurchasesUnattributed",
                           unit=MetricUnit.Count, value=1)
    logger.info("purchase", extra={"order_id": event.order_id, "attributed": event.attributed, "replayed": event.replayed})
    return contract.purchase_recorded(event)


refuse_with(app, contract)


@app.exception_handler(RequestValidationError)  # replaces refuse_with's: credentials come first
def malformed(error: RequestValidationError) -> Response:
    # Powertools validates before the route runs; credentials are still checked first, so a caller
    # without them learns nothing about the body's rules.
    if app.current_event.path != AUTHORIZATION:
        try:
            _caller()
        except CouponError as refused:
            return contract.error(refused)
    return contract.malformed(error.errors())


lambda_handler = entry_point(app, json_bodies=True)

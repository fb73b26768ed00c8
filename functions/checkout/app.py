"""The brand's checkout: validate and redeem codes of every partner, roll redemptions back or
refund part of them, record sales that came through a partner's tracking link, read gift-card
balances. Wire format: coupons.checkout.wire; rules: coupons.checkout.redemptions."""

import gc

gc.disable()  # until init_phase.finished(), this module's last line: see coupons.core.init_phase

import functools
import time
from collections.abc import Callable
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.metrics import MetricUnit

import coupons.core.snapstart  # noqa: F401 - SnapStart: fresh clients after restore (no-op elsewhere)
from coupons.checkout import liability, redemptions, wire
from coupons.core import init_phase, json_body
from coupons.core.errors import InvalidRequest, NotFound
from coupons.core.http_api import entry_point, refuse_with
from coupons.core.models import utcnow
from coupons.core.observability import logger, masked, metrics, tracer
from coupons.core.responses import documented
from coupons.core.table import Table

# Numbers in bodies are read as Decimal: a float never reaches money (core.json_body.loads).
app = APIGatewayHttpResolver(enable_validation=True, json_body_deserializer=json_body.loads)
table = Table.from_env()
REPORT_MARGIN_SECONDS = 1.5  # of the invocation's time, kept to answer after the last page read

_REFUSALS = {
    400: documented("invalid_request: the body does not fit (names the field)", wire.CheckoutError),
    401: documented("unauthenticated: missing or wrong checkout key", wire.CheckoutError),
    404: documented("unknown: no such code", wire.CheckoutError),
    409: documented("rolled_back: this order's redemption was rolled back; order_conflict: the same order or "
                    "refund id was sent before with other figures", wire.CheckoutError),
    422: documented("the code does not apply: expired, not_started, used_up, disabled, paused, currency_mismatch, rate_stale, "
                    "customer_limit_reached, customer_required, insufficient_balance, not_a_gift_card; "
                    "refund_exceeds_paid; unknown_ref, malformed_ref, unknown_account", wire.CheckoutError),
    503: documented("unavailable: busy; send the same request again", wire.CheckoutError),
}


# Path parameters' schemas (OpenAPI); the routes check them after the key, in our error format.
RedemptionId = Annotated[str, Path(json_schema_extra={"pattern": wire.REDEMPTION_ID_SCHEMA})]
GiftCardCode = Annotated[str, Path(json_schema_extra={"pattern": wire.CODE_SCHEMA})]


def _key() -> str:
    return wire.checkout_key(app.current_event.headers.get("authorization"))


def _credentials_first(route: Callable[..., Response[Any]]) -> Callable[..., Response[Any]]:
    """The key is judged before the request's format: a caller without a valid key learns nothing
    of the rules for codes, ids or carts (one more read, on that refusal's path only)."""
    @functools.wraps(route)
    def checked(*args: Any, **kwargs: Any) -> Response[Any]:
        try:
            return route(*args, **kwargs)
        except (InvalidRequest, NotFound):  # a malformed code, cart or redemption id
            redemptions.authenticate(table, _key())
            raise

    return checked


@app.post("/checkout/validate", summary="Does a code apply to this cart, and what does it give", tags=["Checkout"],
          security=wire.SECURITY,
          responses={200: {"description": "It applies: discount, shipping discount, gift-card amount"}, **_REFUSALS})
@tracer.capture_method
@_credentials_first
def validate(request: Annotated[wire.ValidateRequest, Body()]) -> Response[dict]:
    cart = wire.cart(request)
    quote = redemptions.validate(table, _key(), request.code, cart, wire.customer(request),
                                 request.amount)
    return wire.quoted(quote, cart)


@app.post("/checkout/redemptions", summary="Redeem a code for an order (idempotent per order and code)",
          tags=["Checkout"], security=wire.SECURITY, responses={201: {"description": "Redeemed"},
                                        200: {"description": "This order had already redeemed this code"},
                                        **_REFUSALS})
@tracer.capture_method
@_credentials_first
def redeem(request: Annotated[wire.RedeemRequest, Body()]) -> Response[dict]:
    redeemed = redemptions.redeem(table, _key(), request.code, request.order_id, wire.cart(request),
                                  wire.customer(request), request.amount, request.ref)
    if not redeemed.replayed:
        metrics.add_metric(name="Redemptions", unit=MetricUnit.Count, value=1)
    logger.info("redeemed", extra={"redemption": masked(redeemed.redemption.id), "replayed": redeemed.replayed,
                                   "partner": redeemed.redemption.owner.partner})
    return wire.redemption(redeemed.redemption, redeemed.replayed, 200 if redeemed.replayed else 201)


@app.post("/checkout/redemptions/<redemption>/rollback", summary="Give a redemption's use (and amount) back",
          tags=["Checkout"], security=wire.SECURITY,
          responses={200: {"description": "Rolled back (replayed: true when it already was)"},
                     404: documented("not_found: unknown redemption", wire.CheckoutError), **_REFUSALS})
@tracer.capture_method
@_credentials_first
def rollback(redemption: RedemptionId) -> Response[dict]:
    done = redemptions.rollback(table, _key(), redemption)
    if not done.replayed:
        metrics.add_metric(name="Rollbacks", unit=MetricUnit.Count, value=1)
    logger.info("rolled back", extra={"redemption": masked(done.redemption.id), "replayed": done.replayed})
    return wire.redemption(done.redemption, done.replayed)


@app.post("/checkout/redemptions/<redemption>/refunds", summary="Give part of a redeemed order back",
          tags=["Checkout"], security=wire.SECURITY,
          responses={201: {"description": "Refunded (a gift card gets its share back)"},
                     200: {"description": "This refund id was recorded before"},
                     404: {"description": "not_found: unknown redemption"}, **_REFUSALS})
@tracer.capture_method
@_credentials_first
def refund(redemption: RedemptionId, request: Annotated[wire.RefundRequest, Body()]) -> Response[dict]:
    done = redemptions.refund(table, _key(), redemption, request.refund_id, request.amount)
    if not done.replayed:
        metrics.add_metric(name="Refunds", unit=MetricUnit.Count, value=1)
    logger.info("refunded", extra={"redemption": masked(done.redemption.id), "replayed": done.replayed})
    return wire.refunded(done.redemption, done.refund, done.replayed)


@app.post("/checkout/sales", summary="Record an order that came through a partner's tracking link (no code)",
          tags=["Checkout"], security=wire.SECURITY, responses={201: {"description": "Recorded; the partner hears of it once"},
                                        200: {"description": "This order was recorded before"}, **_REFUSALS})
@tracer.capture_method
@_credentials_first
def record_sale(request: Annotated[wire.SaleRequest, Body()]) -> Response[dict]:
    done = redemptions.record_sale(table, _key(), request.order_id, request.ref, request.account,
                                   wire.cart(request), wire.customer(request))
    if not done.replayed:
        metrics.add_metric(name="TrackedSales", unit=MetricUnit.Count, value=1)
    logger.info("tracked sale", extra={"sale": masked(done.redemption.id), "replayed": done.replayed,
                                       "partner": done.redemption.owner.partner})
    return wire.sale(done.redemption, done.replayed)


@app.get("/checkout/gift-cards/<code>", summary="A gift card's balance and history", tags=["Checkout"], security=wire.SECURITY,
         responses={200: {"description": "Balance, currency, redemptions"}, **_REFUSALS})
@tracer.capture_method
@_credentials_first
def gift_card(code: GiftCardCode) -> Response[dict]:
    card = redemptions.gift_card(table, _key(), code)
    return wire.gift_card(card.record, card.history)


@app.get("/checkout/reports/gift-cards", summary="Gift-card liability per currency (finance)", tags=["Checkout"],
         security=wire.SECURITY,
         responses={200: {"description": "Per card currency: cards, issued, spent, refunded, expired, outstanding "
                                         "(JSON, or CSV with format=csv)",
                          "content": {"application/json": {"schema": {"type": "object"}},
                                      "text/csv": {"schema": {"type": "string"}}}}, **_REFUSALS,
                    503: documented("unavailable: the gift-card ledger is too large to read within one request "
                                    "(use coupons-admin reports gift-cards), or busy", wire.CheckoutError)})
@tracer.capture_method
@_credentials_first
def gift_card_liability(
    as_of: Annotated[str | None, Query(description="At the end of this UTC day, yyyy-mm-dd (default: today)",
                                       examples=["2026-12-31"], json_schema_extra=wire.REPORT_DAY_QUERY)] = None,
    format: Annotated[str | None, Query(description="json (default) or csv",
                                        json_schema_extra=wire.REPORT_FORMAT_QUERY)] = None,
) -> Response[dict | str]:
    named = set(app.current_event.query_string_parameters or {})
    day, form = wire.report_query(as_of, format, utcnow().date(), named)
    deadline = time.monotonic() + app.lambda_context.get_remaining_time_in_millis() / 1000 - REPORT_MARGIN_SECONDS
    return wire.liability(liability.gift_cards(table, _key(), day, deadline), day, form)


refuse_with(app, wire, authenticate_first=lambda: redemptions.authenticate(table, _key()))
lambda_handler = entry_point(app, json_bodies=True)
init_phase.finished()

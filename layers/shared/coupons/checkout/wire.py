"""The brand's checkout API: our own contract, so the choices are ours and stated here.

- Authentication: ``Authorization: Bearer <checkout key>`` (keys stored hashed; coupons-admin
  checkout add-key).
- Bodies are JSON. Amounts are decimal strings (``"100.00"``) or JSON numbers, at most two
  decimals; answers always carry strings, so no float ever touches money.
- Errors: ``{"error": {"code": "<reason>", "message": "<for a person>"}}``. ``code`` is stable and
  machine-readable (see ``Reason`` and ``_CODES``); ``message`` may change wording.
  A code that does not apply is 422 (404 when it does not exist at all).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from coupons.checkout.rules import CodeRefused, Quote, Reason
from coupons.core import credentials, money
from coupons.core.errors import (
    CodeTaken,
    CouponError,
    Forbidden,
    InvalidRequest,
    NotFound,
    Unauthenticated,
    Unavailable,
)
from coupons.core.models import CodeRecord
from coupons.core.responses import first_problem
from coupons.core.responses import json_response as _json
from coupons.core.sales import Cart, Customer, Redemption

# error class -> (HTTP status, error code)
_CODES: dict[type, tuple[int, str]] = {
    InvalidRequest: (400, "invalid_request"),
    Unauthenticated: (401, "unauthenticated"),
    Forbidden: (403, "forbidden"),
    NotFound: (404, "not_found"),
    CodeTaken: (409, "conflict"),
    Unavailable: (503, "unavailable"),
}


def _amount(value: Any) -> Decimal:
    """``"100.00"`` or ``100`` or ``99.9`` -> Decimal, at most two decimals, not negative."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError("must be an amount such as \"100.00\"")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount such as \"100.00\"") from None
    if not amount.is_finite() or amount < 0 or amount.as_tuple().exponent < -2 or amount >= 10**9:
        raise ValueError(f"{value!r} is not an amount of 0.00 or more with at most two decimals")
    return amount


def _currency(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be an ISO 4217 code such as EUR")
    try:
        return money.require_currency(value)
    except InvalidRequest as error:
        raise ValueError(error.message) from None


Amount = Annotated[Decimal, BeforeValidator(_amount)]
Currency = Annotated[str, BeforeValidator(_currency)]


class CartIn(BaseModel):
    subtotal: Amount = Field(description="Order value excluding shipping (what percent codes apply to)")
    shipping: Amount = Field(Decimal("0.00"), description="Shipping cost")
    currency: Currency = Field(description="ISO 4217, e.g. EUR", json_schema_extra={"pattern": "^[A-Za-z]{3}$"})


class CustomerIn(BaseModel):
    id: str | None = Field(None, min_length=1, max_length=256, description="The shop's customer id")
    email: str | None = Field(None, min_length=3, max_length=320, description="Used when there is no id")


class ValidateRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"code": "SUMMER20", "cart": {"subtotal": "100.00", "shipping": "4.90", "currency": "EUR"}}]})

    code: str = Field(description="Any letter case", max_length=200)
    cart: CartIn
    customer: CustomerIn = Field(default_factory=CustomerIn)
    amount: Amount | None = Field(None, description="Gift cards: how much to pay with the card")


class RedeemRequest(ValidateRequest):
    order_id: str = Field(min_length=1, max_length=128, description="Same order and code twice: one redemption")
    ref: str | None = Field(None, max_length=256, description="A partner's tracking reference, e.g. bb-123")


def cart(request: ValidateRequest) -> Cart:
    return Cart(**request.cart.model_dump())


def customer(request: ValidateRequest) -> Customer:
    return Customer(**request.customer.model_dump())


# ---- answers -----------------------------------------------------------------------------------


def _wire(value: Decimal | None) -> str | None:
    return None if value is None else money.to_wire(value)


def quoted(q: Quote, cart_: Cart) -> Response:
    to_pay = cart_.subtotal + cart_.shipping - q.discount - q.shipping_discount - q.gift_card_amount
    return _json(200, {
        "valid": True,
        "code": q.code,
        "kind": q.kind.value,
        "value": _wire(q.value),
        "currency": q.currency,
        "discount": _wire(q.discount),
        "shipping_discount": _wire(q.shipping_discount),
        "gift_card_amount": _wire(q.gift_card_amount),
        "balance": _wire(q.balance),
        "to_pay": _wire(to_pay),
    })


def redemption(r: Redemption, replayed: bool, status: int = 200) -> Response:
    return _json(status, {
        "id": r.id,
        "code": r.code,
        "order_id": r.order_id,
        "state": r.state.value,
        "kind": r.kind.value,
        "currency": r.cart.currency,
        "discount": _wire(r.discount),
        "shipping_discount": _wire(r.shipping_discount),
        "gift_card_amount": _wire(r.gift_card_amount),
        "attributed_to": r.owner.model_dump(),
        "created_at": r.created_at.isoformat(),
        "rolled_back_at": r.rolled_back_at.isoformat() if r.rolled_back_at else None,
        "replayed": replayed,
    })


def gift_card(record: CodeRecord, history: list[Redemption]) -> Response:
    return _json(200, {
        "code": record.code,
        "balance": _wire(record.balance),
        "currency": record.discount.currency,
        "initial_value": _wire(record.discount.value),
        "status": record.status,
        "expires_on": record.expires_on.isoformat() if record.expires_on else None,
        "history": [
            {
                "redemption_id": r.id,
                "order_id": r.order_id,
                "amount": _wire(r.gift_card_amount),
                "state": r.state.value,
                "created_at": r.created_at.isoformat(),
                "rolled_back_at": r.rolled_back_at.isoformat() if r.rolled_back_at else None,
            }
            for r in history
        ],
    })


def error(exc: CouponError) -> Response:
    if isinstance(exc, CodeRefused):
        status, code = (404 if exc.reason is Reason.UNKNOWN else 422), exc.reason.value
    else:
        status, code = next(v for cls, v in _CODES.items() if isinstance(exc, cls))
    return _json(status, {"error": {"code": code, "message": exc.message}})


def malformed(problems: list[dict[str, Any]]) -> Response:
    """The body is not JSON or does not fit the request model: 400 naming the first problem."""
    where, message = first_problem(problems, "The request body could not be read")
    return error(InvalidRequest(f"{where}: {message}" if where else message))



def checkout_key(authorization: str | None) -> str:
    """The checkout key from ``Authorization: Bearer <key>``."""
    presented = credentials.from_authorization(authorization)
    if presented.scheme != "bearer":
        raise Unauthenticated("Send the checkout key as 'Authorization: Bearer <key>'")
    return presented.secret


# The refusals' shape, for OpenAPI (the routes' responses=).
_ERROR_CODES: dict[str, Any] = {"enum": sorted({code for _, code in _CODES.values()} | {r.value for r in Reason})}


class CheckoutErrorDetail(BaseModel):
    code: str = Field(json_schema_extra=_ERROR_CODES)
    message: str


class CheckoutError(BaseModel):
    error: CheckoutErrorDetail

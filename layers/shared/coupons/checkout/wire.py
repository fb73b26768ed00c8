"""The brand's checkout API: our own contract, so the choices are ours.

Bearer checkout keys; amounts parsed by the one strict parser (``core.money``), answered as strings
in the currency's decimals; errors ``{"error": {"code", "message"}}`` with a stable ``code``
(``Reason``, ``_CODES``). The contract: docs/checkout.md, "The API" and "Errors"."""

from __future__ import annotations

import csv
import io
import ipaddress
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, StrictBool, StrictStr, WithJsonSchema, model_validator

from coupons.checkout.rules import CodeRefused, Quote, Reason, order_total
from coupons.core import codes, credentials, dates, ledger, money, observability
from coupons.core.base_model import Model
from coupons.core.errors import CodeTaken, CouponError, Forbidden, InvalidRequest, NotFound, Unauthenticated, Unavailable
from coupons.core.models import CodeRecord, DiscountKind
from coupons.core.responses import first_problem
from coupons.core.responses import json_response as _json
from coupons.core.sales import REF_SCHEMA, Cart, Conversion, Customer, Redemption, Refund

# error class -> (HTTP status, error code)
_CODES: dict[type, tuple[int, str]] = {
    InvalidRequest: (400, "invalid_request"),
    Unauthenticated: (401, "unauthenticated"),
    Forbidden: (403, "forbidden"),
    NotFound: (404, "not_found"),
    CodeTaken: (409, "conflict"),
    Unavailable: (503, "unavailable"),
}


_MOST_DECIMALS = 3  # of any currency (ISO 4217: BHD, KWD ...); each amount is held to its cart's below

# refusal reason -> HTTP status, when not 422
_STATUS = {Reason.UNKNOWN: 404, Reason.ROLLED_BACK: 409, Reason.ORDER_CONFLICT: 409}


def _amount(value: Any) -> Decimal:
    """``"100.00"`` or ``100`` or an exact JSON number -> Decimal, 0 or more (``core.money``)."""
    try:
        return money.parse_amount(value, "amount", zero=True, decimals=_MOST_DECIMALS)
    except InvalidRequest as error:
        raise ValueError(error.message) from None


def _decimals(amount: Decimal | None) -> int:
    return 0 if amount is None else money.decimals(amount)


def _within_currency(currency: str, **amounts: Decimal | None) -> None:
    """Each amount has at most ``currency``'s decimals (ISO 4217): never rounded, refused. Trailing
    zeros are no decimals: ``291.0`` yen is 291 (a JSON number may be written so)."""
    allowed = money.exponent(currency)
    for name, amount in amounts.items():
        if _decimals(amount) > allowed:
            raise ValueError(f"{name} {amount} has {_decimals(amount)} decimals; {currency} has at most {allowed}")


def _currency(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be an ISO 4217 code such as EUR")
    try:
        return money.require_currency(value)
    except InvalidRequest as error:
        raise ValueError(error.message) from None


def _amount_schema(decimals: int) -> dict[str, Any]:
    """What ``_amount`` takes with at most ``decimals`` decimals (OpenAPI): text like ``100.00``, or a
    plain JSON number (an exponent, as in ``1e2``, is refused)."""
    trailing = f"0{{0,{_MOST_DECIMALS - decimals}}}"  # zeros beyond the currency's decimals change nothing
    fraction = rf"(?:\.[0-9]{{1,{decimals}}}{trailing})?" if decimals else rf"(?:\.0{{1,{_MOST_DECIMALS}}})?"
    number = {"type": "number", "multipleOf": 10 ** -decimals} if decimals else {"type": "integer"}
    return {"anyOf": [{"type": "string", "pattern": rf"^[0-9]{{1,{money.MAX_INTEGER_DIGITS}}}{fraction}$"},
                      {**number, "minimum": 0, "maximum": 10 ** money.MAX_INTEGER_DIGITS - 1}]}


def _in_currency(currency: tuple[str, ...], *amounts: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """OpenAPI's ``anyOf`` for ``_within_currency``: each amount (a path of property names) has at
    most the decimals of the currency at ``currency``; one branch per ISO 4217 exponent.
    ``optional``: amounts that may also be null."""
    branches = []
    for decimals in sorted({money.exponent(c) for c in money.ISO_4217}):
        currencies = {c for c in money.ISO_4217 if money.exponent(c) == decimals}
        amount = _amount_schema(decimals)
        branch: dict[str, Any] = {}
        for path, schema in [(currency, {"pattern": money.currency_schema(currencies)}),
                             *((p, {"anyOf": [amount, {"type": "null"}]} if p[-1] in optional else amount)
                               for p in amounts)]:
            node = branch
            for part in path[:-1]:
                node = node.setdefault("properties", {}).setdefault(part, {})
            node.setdefault("properties", {})[path[-1]] = schema
        branches.append(branch)
    return {"anyOf": branches}


Amount = Annotated[Decimal, BeforeValidator(_amount), WithJsonSchema(_amount_schema(_MOST_DECIMALS))]
Currency = Annotated[str, BeforeValidator(_currency), WithJsonSchema({"type": "string", "pattern": money.CURRENCY_SCHEMA})]


CODE_SCHEMA = codes.WITH_HYPHENS.schema  # codes at checkout: any partner's, so hyphens too
# Our redemption ids, ``redemption_id``: the canonical code, a dot, 24 hex digits of the order id.
REDEMPTION_ID_SCHEMA = CODE_SCHEMA.replace("a-z", "").removesuffix("$") + r"\.[0-9a-f]{24}$"
SECURITY_SCHEMES = {"checkout_key": {"type": "http", "scheme": "bearer", "description": "A checkout key "
                                     "(coupons-admin checkout add-key)"}}
SECURITY: list[dict[str, list[str]]] = [{"checkout_key": []}]


class CartIn(Model):
    # Amounts in the currency's decimals; the rules between amounts (discount at most the subtotal,
    # an included tax at most the order) are only in the fields' descriptions.
    model_config = ConfigDict(json_schema_extra=_in_currency(
        ("currency",), ("subtotal",), ("shipping",), ("discount",), ("tax",), optional=("discount",)))

    subtotal: Amount = Field(description="Goods before discounts, excluding shipping (what percent codes apply "
                                         "to); including tax when taxes_included")
    shipping: Amount = Field(Decimal(0), description="Shipping cost")
    currency: Currency = Field(description="ISO 4217, e.g. EUR")
    discount: Amount | None = Field(None, description="The discount on the goods the checkout actually applied "
                                                      "(all promotions), at most the subtotal; absent: the code's "
                                                      "own discount")
    tax: Amount = Field(Decimal(0), description="The order's tax; when taxes_included, at most the order it is "
                                                "included in")
    taxes_included: StrictBool = Field(False, description="true: subtotal and shipping include the tax (EU prices); "
                                                    "false: the tax comes on top")

    @model_validator(mode="after")
    def _consistent(self) -> CartIn:
        _within_currency(self.currency, subtotal=self.subtotal, shipping=self.shipping, discount=self.discount,
                         tax=self.tax)
        if self.discount is not None and self.discount > self.subtotal:
            raise ValueError(f"discount {self.discount} is more than the subtotal {self.subtotal}")
        if self.taxes_included and self.tax > self.subtotal + self.shipping - (self.discount or 0):
            raise ValueError(f"tax {self.tax} is more than the order it is included in")
        return self


def _ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError(f"{value[:64]!r} is not an IPv4 or IPv6 address") from None


# A JSON string only (an IP parser would take false or 0 as 0.0.0.0), then a real address.
ClientIp = Annotated[StrictStr, AfterValidator(_ip), WithJsonSchema(
    {"anyOf": [{"type": "string", "format": "ipv4"}, {"type": "string", "format": "ipv6"}]})]


class CustomerIn(Model):
    id: str | None = Field(None, min_length=1, max_length=256, description="The shop's customer id")
    email: str | None = Field(None, min_length=3, max_length=320, description="Used when there is no id")
    new: StrictBool | None = Field(None, description="Redemptions: true when this is the customer's first order "
                                                     "with the brand (a signal of the leak guard, docs/guard.md)")
    ip: ClientIp | None = Field(None, description="Redemptions: the shopper's IP address as your checkout saw it "
                                     "(not your server's); hashed with a per-deployment key on receipt and never "
                                     "stored in clear (a signal of the leak guard, docs/guard.md)")


class ValidateRequest(Model):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"code": "SUMMER20", "cart": {"subtotal": "100.00", "shipping": "4.90", "currency": "EUR"}}],
        **_in_currency(("cart", "currency"), ("amount",), optional=("amount",))})

    code: str = Field(description="Any letter case", max_length=200, json_schema_extra={"pattern": CODE_SCHEMA})
    cart: CartIn
    customer: CustomerIn = Field(default_factory=CustomerIn)
    amount: Amount | None = Field(None, description="Gift cards: how much to pay with the card, in the cart's "
                                                    "currency, at most the order total")

    @model_validator(mode="after")
    def _amount_in_currency(self) -> ValidateRequest:
        _within_currency(self.cart.currency, amount=self.amount)
        return self


class RedeemRequest(ValidateRequest):
    order_id: str = Field(min_length=1, max_length=128, description="Same order and code twice: one redemption")
    ref: str | None = Field(None, max_length=256, description="A partner's tracking reference, e.g. bb-123")


class SaleRequest(Model):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"order_id": "1003", "ref": "bb-42", "account": "demo",
         "cart": {"subtotal": "100.00", "shipping": "4.90", "currency": "EUR"}}]})

    order_id: str = Field(min_length=1, max_length=128, description="Reported once per order id")
    ref: str = Field(max_length=100, description="The partner's tracking reference from the link, e.g. bb-42",
                     json_schema_extra={"pattern": REF_SCHEMA})
    account: str = Field(min_length=1, max_length=128,
                         description="The partner account the sale is reported for (Brandbassador: the webshop id)")
    cart: CartIn
    customer: CustomerIn = Field(default_factory=CustomerIn)


class RefundRequest(Model):
    model_config = ConfigDict(json_schema_extra={"examples": [{"refund_id": "RMA-7", "amount": "20.00"}]})

    refund_id: str = Field(min_length=1, max_length=128, description="The shop's id of this refund: the same id "
                                                                      "again is the same refund")
    amount: Amount = Field(description="Given back to the customer for the order (gift-card part included)")


def cart(request: ValidateRequest | SaleRequest) -> Cart:
    return Cart(**request.cart.model_dump())


def customer(request: ValidateRequest | SaleRequest) -> Customer:
    given = request.customer
    ip = None if given.ip is None else observability.keyed_digest(str(given.ip), "ip")
    return Customer(**given.model_dump(exclude={"ip"}), ip_hash=ip)


# ---- answers -----------------------------------------------------------------------------------


def _wire(value: Decimal | None, currency: str | None = None) -> str | None:
    return None if value is None else money.to_wire(value, currency)


def _debit(d: Conversion | None) -> dict[str, Any] | None:
    """A code in another currency: its side, ``rate`` in cart units per unit of the code's currency."""
    if d is None:
        return None
    return {"amount": money.to_wire(d.amount, d.currency), "currency": d.currency, "rate": str(d.rate),
            "rate_date": d.rate_date.isoformat() if d.rate_date else None}


def quoted(q: Quote, cart_: Cart) -> Response:
    to_pay = order_total(cart_, q.discount) - q.shipping_discount - q.gift_card_amount
    c = cart_.currency
    return _json(200, {
        "valid": True,
        "code": q.code,
        "kind": q.kind.value,
        "value": _wire(q.value, c if q.kind in (DiscountKind.FIXED, DiscountKind.GIFT_CARD) else None),
        "currency": q.currency,
        "discount": _wire(q.discount, c),
        "shipping_discount": _wire(q.shipping_discount, c),
        "gift_card_amount": _wire(q.gift_card_amount, c),
        "balance": _wire(q.balance, c),
        "to_pay": _wire(max(to_pay, Decimal(0)), c),
        "gift_card_debit": _debit(Conversion(amount=q.gift_card_debit, currency=q.rate.base, rate=q.rate.rate,
                                             rate_date=q.rate.rate_date)
                                  if q.rate is not None and q.gift_card_debit is not None else None),
    })


def redemption(r: Redemption, replayed: bool, status: int = 200) -> Response:
    c = r.cart.currency
    return _json(status, {
        "id": r.id,
        "code": r.code,
        "order_id": r.order_id,
        "state": r.state.value,
        "kind": r.kind.value if r.kind else None,
        "currency": c,
        "discount": _wire(r.discount, c),
        "shipping_discount": _wire(r.shipping_discount, c),
        "gift_card_amount": _wire(r.gift_card_amount, c),
        "paid_goods_total": _wire(r.paid_goods_total, c),
        "order_total": _wire(r.order_total, c),
        "refunded": _wire(r.refunded, c),
        "gift_card_debit": _debit(r.gift_card_debit),
        "attributed_to": r.owner.model_dump(),
        "created_at": r.created_at.isoformat(),
        "rolled_back_at": r.rolled_back_at.isoformat() if r.rolled_back_at else None,
        "replayed": replayed,
    })


def sale(r: Redemption, replayed: bool) -> Response:
    c = r.cart.currency
    return _json(200 if replayed else 201, {
        "id": r.id,
        "order_id": r.order_id,
        "ref": r.ref,
        "currency": c,
        "paid_goods_total": _wire(r.paid_goods_total, c),
        "attributed_to": r.owner.model_dump(),
        "created_at": r.created_at.isoformat(),
        "replayed": replayed,
    })


def refunded(r: Redemption, given: Refund, replayed: bool) -> Response:
    c = r.cart.currency
    return _json(200 if replayed else 201, {
        "refund_id": given.refund_id,
        "redemption_id": r.id,
        "currency": c,
        "amount": _wire(given.amount, c),
        "gift_card_amount": _wire(given.gift_card_amount, c),
        "gift_card_credit": None if given.gift_card_debit is None or r.gift_card_debit is None else {
            "amount": money.to_wire(given.gift_card_debit, r.gift_card_debit.currency),
            "currency": r.gift_card_debit.currency},
        "goods_amount": _wire(given.goods_amount, c),
        "refunded_total": _wire(r.refunded, c),
        "refundable": _wire(r.order_total - r.refunded, c),
        "created_at": given.created_at.isoformat(),
        "replayed": replayed,
    })


def gift_card(record: CodeRecord, history: list[Redemption]) -> Response:
    return _json(200, {
        "code": record.code,
        "balance": _wire(record.balance, record.discount.currency),
        "currency": record.discount.currency,
        "initial_value": _wire(record.discount.value, record.discount.currency),
        "status": record.status,
        "expires_on": record.expires_on.isoformat() if record.expires_on else None,
        "history": [
            {
                "redemption_id": r.id,
                "order_id": r.order_id,
                "amount": _wire(r.gift_card_amount, r.cart.currency),
                "refunded": _wire(r.gift_card_refunded, r.cart.currency),
                "cart_currency": r.cart.currency,
                "debit": _wire(r.gift_card_taken, record.discount.currency),
                "credited": _wire(r.gift_card_returned, record.discount.currency),
                "state": r.state.value,
                "created_at": r.created_at.isoformat(),
                "rolled_back_at": r.rolled_back_at.isoformat() if r.rolled_back_at else None,
            }
            for r in history
        ],
    })


REPORT_FORMATS = ("json", "csv")
# The report's query, as docs/openapi.json states it (report_query enforces the same).
REPORT_DAY_QUERY: dict[str, Any] = {"pattern": dates.DAY_SCHEMA}
REPORT_FORMAT_QUERY: dict[str, Any] = {"enum": list(REPORT_FORMATS)}


REPORT_PARAMETERS = frozenset({"as_of", "format"})


def report_query(as_of: str | None, form: str | None, today: date, named: set[str]) -> tuple[date, str]:
    """``as_of`` (yyyy-mm-dd, default ``today``) and ``format`` (json, the default, or csv); any
    other parameter (``named``: every one the request has) is refused, not silently ignored."""
    unknown = sorted(named - REPORT_PARAMETERS)
    if unknown:
        raise InvalidRequest(f"unknown query parameter {unknown[0][:20]!r}: this report takes as_of and format")
    day = today if as_of is None else dates.parse_day(as_of, "as_of")
    form = "json" if form is None else form
    if form not in REPORT_FORMATS:
        raise InvalidRequest(f"format {form[:20]!r} is not one of json, csv")
    return day, form


def liability(rows: list[dict[str, str | int]], as_of: date, form: str) -> Response:
    """JSON ``{"as_of", "currencies": [...]}``, or the CLI's CSV (a file a spreadsheet opens)."""
    if form == "json":
        return _json(200, {"as_of": as_of.isoformat(), "currencies": rows})
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=ledger.LIABILITY_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return Response(status_code=200, content_type="text/csv; charset=utf-8", body=text.getvalue(), headers={
        "Content-Disposition": f'attachment; filename="gift-card-liability-{as_of.isoformat()}.csv"'})


def error(exc: CouponError) -> Response:
    if isinstance(exc, CodeRefused):
        status, code = _STATUS.get(exc.reason, 422), exc.reason.value
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


class CheckoutErrorDetail(Model):
    code: str = Field(json_schema_extra=_ERROR_CODES)
    message: str


class CheckoutError(Model):
    error: CheckoutErrorDetail

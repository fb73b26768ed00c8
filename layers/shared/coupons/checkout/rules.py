"""Checkout rules: whether a code applies to a cart, what it gives, and why not.

Pure functions over a ``CodeRecord``: no store, no wire format. The same rules answer
``/checkout/validate`` from a read and explain a refused redemption from the item DynamoDB
returns with a failed condition (``ReturnValuesOnConditionCheckFailure``), so the message a
checkout sees never depends on which of the two paths refused it.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from enum import Enum

from coupons.core import codes, money
from coupons.core.base_model import Model
from coupons.core.errors import CouponError, InvalidRequest, NotFound
from coupons.core.models import CodeRecord, DiscountKind, Owner
from coupons.core.rates import Derived
from coupons.core.sales import Cart


class Reason(str, Enum):
    """Why a code does not apply: stable, machine-readable, part of the checkout API."""

    UNKNOWN = "unknown"
    NOT_STARTED = "not_started"
    EXPIRED = "expired"
    DISABLED = "disabled"
    PAUSED = "paused"  # the leak guard (or an admin) paused the code: it looks leaked (docs/guard.md)
    USED_UP = "used_up"
    CUSTOMER_LIMIT_REACHED = "customer_limit_reached"
    CUSTOMER_REQUIRED = "customer_required"
    CURRENCY_MISMATCH = "currency_mismatch"
    RATE_STALE = "rate_stale"  # the exchange rate a code in another currency needs is too old
    INSUFFICIENT_BALANCE = "insufficient_balance"
    NOT_A_GIFT_CARD = "not_a_gift_card"
    # 409: what the request asks conflicts with what this order already did
    ROLLED_BACK = "rolled_back"  # redeeming (or refunding) an order whose redemption was rolled back
    ORDER_CONFLICT = "order_conflict"  # the same order id / refund id sent before with other figures
    # 422: refunds and tracked sales
    REFUND_EXCEEDS_PAID = "refund_exceeds_paid"
    UNKNOWN_REF = "unknown_ref"
    MALFORMED_REF = "malformed_ref"
    UNKNOWN_ACCOUNT = "unknown_account"


class CodeRefused(CouponError):
    """The code exists (or not) but does not apply to this cart; ``reason`` says why."""

    def __init__(self, reason: Reason, message: str):
        super().__init__(message)
        self.reason = reason


class Quote(Model):
    """What a code gives on a cart."""

    code: str
    kind: DiscountKind
    value: Decimal | None
    currency: str  # the cart's
    discount: Decimal = Decimal("0.00")  # off the subtotal (percent, fixed)
    shipping_discount: Decimal = Decimal("0.00")  # free shipping
    gift_card_amount: Decimal = Decimal("0.00")  # paid with the gift card
    balance: Decimal | None = None  # gift card balance before this order (in the cart's currency: what it can pay)
    owner: Owner
    rate: Derived | None = None  # a gift card or fixed code in another currency: cart units per code unit
    gift_card_debit: Decimal | None = None  # with ``rate``: what the card is debited, in its own currency


def order_total(cart: Cart, goods_discount: Decimal = Decimal(0)) -> Decimal:
    """What the customer owes for ``cart`` before any gift card: goods after the discount the cart
    says it applied (else ``goods_discount``), shipping, tax when it comes on top."""
    discount = goods_discount if cart.discount is None else cart.discount
    return max(cart.subtotal - discount + cart.shipping + (0 if cart.taxes_included else cart.tax), Decimal(0))


# ---- identities --------------------------------------------------------------------------------


def redemption_id(code: str, order_id: str) -> str:
    """Derived from code and order, so the same order redeeming the same code twice lands on the
    same item (the conditional put makes the second one a replay) and the id leads straight to
    the item's key without an index. The code stays readable for support people."""
    return f"{code}.{order_digest(order_id)}"


def order_digest(order_id: str) -> str:
    return hashlib.sha256(order_id.encode()).hexdigest()[:24]


def parse_redemption_id(redemption: str) -> tuple[str, str]:
    """``(code, order digest)``, or ``NotFound`` for anything that cannot be one of our ids."""
    code, _, digest = redemption.rpartition(".")
    try:
        code = codes.require_valid(code, codes.WITH_HYPHENS)
    except InvalidRequest:
        raise NotFound(f"Unknown redemption {redemption!r}") from None
    if code != redemption.rpartition(".")[0] or len(digest) != 24 or not all(c in "0123456789abcdef" for c in digest):
        raise NotFound(f"Unknown redemption {redemption!r}")
    return code, digest


# ---- the rules ---------------------------------------------------------------------------------


def _foreign(record: CodeRecord, cart: Cart, rate: Derived | None) -> Derived | None:
    """``rate`` when it converts ``record``'s currency to the cart's (``checkout.conversion``)."""
    currency = record.discount.currency
    if rate is None or currency == cart.currency or (rate.base, rate.quote) != (currency, cart.currency):
        return None
    return rate


def refusal(record: CodeRecord | None, code: str, cart: Cart, today: date, amount: Decimal | None = None,
            customer_uses: int = 0, customer_given: bool = True, rate: Derived | None = None) -> CodeRefused | None:
    """The first rule ``record`` breaks for this cart, or None when the code applies. ``rate``: the
    brand's rate from a gift card's or fixed code's currency to the cart's, when they differ."""
    if record is None:
        return CodeRefused(Reason.UNKNOWN, f"The code {code} does not exist")
    if record.status != "active":
        return CodeRefused(Reason.DISABLED, f"The code {code} has been disabled")
    if record.paused_at is not None:
        return CodeRefused(Reason.PAUSED, f"The code {code} is paused: it appears to have leaked to coupon sites. "
                                          "Its owner can be given a new code")
    if record.starts_on and today < record.starts_on:
        return CodeRefused(Reason.NOT_STARTED, f"The code {code} is valid from {record.starts_on.isoformat()}")
    if record.expires_on and today > record.expires_on:
        return CodeRefused(Reason.EXPIRED, f"The code {code} expired on {record.expires_on.isoformat()}")
    if record.max_uses is not None and record.uses >= record.max_uses:
        return CodeRefused(Reason.USED_UP, f"The code {code} has been used {record.uses} of {record.max_uses} times")
    if record.max_uses_per_customer is not None:
        if not customer_given:
            return CodeRefused(Reason.CUSTOMER_REQUIRED,
                               f"The code {code} is limited per customer; send customer.id or customer.email")
        if customer_uses >= record.max_uses_per_customer:
            return CodeRefused(Reason.CUSTOMER_LIMIT_REACHED,
                               f"This customer has used the code {code} {customer_uses} times, the most allowed")
    kind, currency = record.discount.kind, record.discount.currency
    foreign = _foreign(record, cart, rate)
    if kind in (DiscountKind.FIXED, DiscountKind.GIFT_CARD) and currency != cart.currency:
        if foreign is None:
            return CodeRefused(Reason.CURRENCY_MISMATCH, f"The code {code} is in {currency}, the cart in "
                                                         f"{cart.currency}, and no {currency}/{cart.currency} "
                                                         "exchange rate is set")
        if foreign.stale:
            return CodeRefused(Reason.RATE_STALE, f"The {currency}/{cart.currency} exchange rate is of "
                                                  f"{foreign.rate_date}, older than this brand accepts; "
                                                  "nothing was charged (the rates need a refresh)")
    if amount is not None and kind is not DiscountKind.GIFT_CARD:
        return CodeRefused(Reason.NOT_A_GIFT_CARD, f"The code {code} is not a gift card; send no amount")
    if kind is DiscountKind.GIFT_CARD and foreign is not None:
        balance = record.balance or Decimal(0)
        wanted = amount if amount is not None else Decimal(1).scaleb(-money.exponent(cart.currency))
        if (foreign.to_base(wanted) > balance) if amount is not None else (foreign.pays(balance) < wanted):
            return CodeRefused(Reason.INSUFFICIENT_BALANCE,
                               f"The gift card {code} has {money.to_wire(balance, currency)} {currency} left, "
                               f"less than {money.to_wire(wanted, cart.currency)} {cart.currency} at "
                               f"{foreign.rate} {cart.currency} per {currency}")
    elif kind is DiscountKind.GIFT_CARD:
        balance = record.balance or Decimal(0)
        wanted = amount if amount is not None else Decimal(1).scaleb(-money.exponent(currency))
        if balance < wanted:
            return CodeRefused(Reason.INSUFFICIENT_BALANCE,
                               f"The gift card {code} has {money.to_wire(balance, currency)} {currency} left, "
                               f"less than {money.to_wire(wanted, currency)}")
    return None


def quote(record: CodeRecord | None, code: str, cart: Cart, today: date, amount: Decimal | None = None,
          customer_uses: int = 0, customer_given: bool = True, rate: Derived | None = None) -> Quote:
    """What the code gives on ``cart``, or ``CodeRefused``. ``amount`` is what to pay with a gift
    card (default: as much of the order as the balance covers). ``rate``: see ``refusal``."""
    refused = refusal(record, code, cart, today, amount, customer_uses, customer_given, rate)
    if refused or record is None:  # (refusal() refuses a missing record: this tells the type checker)
        raise refused or CodeRefused(Reason.UNKNOWN, f"The code {code} does not exist")
    owed = order_total(cart)
    if amount is not None and amount > owed:
        raise InvalidRequest(f"The amount {money.to_wire(amount, cart.currency)} is more than the order total "
                             f"{money.to_wire(owed, cart.currency)}")
    discount = record.discount
    result = Quote(code=record.code, kind=discount.kind, value=discount.value, currency=cart.currency,
                   owner=record.owner)
    value = discount.value or Decimal(0)  # percent and fixed discounts always carry one (models.Discount)
    foreign = _foreign(record, cart, rate) if discount.kind in (DiscountKind.FIXED, DiscountKind.GIFT_CARD) else None
    result.rate = foreign
    if discount.kind is DiscountKind.PERCENT:
        result.discount = min(money.quantize(cart.subtotal * value / 100, cart.currency), cart.subtotal)
    elif discount.kind is DiscountKind.FIXED:
        converted = foreign.to_quote(value) if foreign else money.quantize(value, cart.currency)
        result.discount = min(converted, cart.subtotal)
    elif discount.kind is DiscountKind.FREE_SHIPPING:
        result.shipping_discount = cart.shipping
    else:
        balance = record.balance or Decimal(0)
        result.balance = foreign.pays(balance) if foreign else record.balance
        result.gift_card_amount = amount if amount is not None else min(result.balance or Decimal(0), owed)
        if result.gift_card_amount <= 0:
            raise InvalidRequest("The order total is 0: there is nothing to pay with the gift card")
        if foreign:  # never more than the balance (refusal() checked it; pays() rounds down)
            result.gift_card_debit = min(foreign.to_base(result.gift_card_amount), balance)
    return result

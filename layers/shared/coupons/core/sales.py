"""The seam between the checkout and the partners: a redemption, and how a sale reaches its owner.

The checkout records a ``Redemption`` and an outbox event in one transaction (``core.outbox``); the
sender hands each event to the ``Reporter`` registered for the partner that owns the code. Each
partner's reporter lives in its own package (Brandbassador's tracking pixel, Friendbuy's purchase,
the signed webhook); the sender function composes them, so no partner package imports another.
"""

from __future__ import annotations

import hashlib
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from pydantic import Field

from coupons.core import money, partners
from coupons.core.base_model import Model
from coupons.core.models import DiscountKind, Owner
from coupons.core.table import Table

# Outbox events: a sale (a redemption, or an order that came through a tracking link), its full
# rollback, one partial refund.
SALE, ROLLBACK, REFUND = "sale", "rollback", "refund"
# What a reporter answers: the event was taken by the partner, or there was nothing to send.
DELIVERED, SKIPPED = "delivered", "skipped"


class Cart(Model):
    """An order as the checkout sees it. Every field a checkout may leave out has the default that
    keeps an older stored redemption meaning what it meant when it was written."""

    subtotal: Decimal  # goods before this order's discounts, excluding shipping; with tax if taxes_included
    shipping: Decimal = Decimal("0.00")
    currency: str
    # The discount on the goods the checkout actually applied (this code's and any other promotion),
    # when it says; else the code's own discount counts.
    discount: Decimal | None = None
    tax: Decimal = Decimal("0.00")  # the order's tax
    taxes_included: bool = False  # True: subtotal (and shipping) include ``tax``, as EU prices do


class Customer(Model):
    id: str | None = None
    email: str | None = None
    new: bool | None = None  # the checkout says this is (not) the customer's first order (the leak guard)
    # The client's IP as the checkout saw it, HMAC'd on receipt (``checkout.wire``), never kept in clear:
    # the leak guard counts distinct ones.
    ip_hash: str | None = None

    @property
    def key(self) -> str | None:
        """Who counts against a per-customer limit: the checkout's customer id, else the e-mail
        (case-insensitive). Hashed, so no address ends up in a key."""
        identity = f"id:{self.id}" if self.id else f"email:{self.email.strip().lower()}" if self.email else None
        return hashlib.sha256(identity.encode()).hexdigest()[:32] if identity else None


class RedemptionState(str, Enum):
    REDEEMED = "redeemed"
    ROLLED_BACK = "rolled_back"


class Conversion(Model):
    """A code's own-currency side of a redemption in another currency (``coupons.core.rates``):
    ``amount`` in the code's ``currency`` (a gift card: what was debited; a fixed code: its value),
    at ``rate`` units of the cart's currency per unit of the code's, of ``rate_date``."""

    amount: Decimal
    currency: str
    rate: Decimal
    rate_date: date | None = None


class Redemption(Model):
    """One use of a code by one order, attributed to the code's owner; or (``code`` empty, ``kind``
    None) an order attributed by a partner's tracking reference alone (``ref``, POST /checkout/sales).

    ``refunded`` and ``gift_card_refunded`` (added with partial refunds, default 0 so that older
    items read unchanged) are what partial refunds gave back so far."""

    id: str
    code: str
    order_id: str
    state: RedemptionState = RedemptionState.REDEEMED
    kind: DiscountKind | None = None  # None: a tracked sale (no code)
    cart: Cart
    customer: Customer = Field(default_factory=Customer)
    customer_key: str | None = None  # set when the code limits uses per customer
    discount: Decimal
    shipping_discount: Decimal
    gift_card_amount: Decimal
    owner: Owner
    ref: str | None = None  # a partner's tracking reference (Brandbassador: bb-...)
    created_at: datetime
    rolled_back_at: datetime | None = None
    refunded: Decimal = Decimal("0.00")  # given back to the customer across partial refunds
    gift_card_refunded: Decimal = Decimal("0.00")  # of which back onto the gift card
    # A gift card in another currency than the cart's: what was debited in the card's currency, and
    # what refunds gave back onto it so far in that currency (a rollback returns the rest).
    gift_card_debit: Conversion | None = None
    gift_card_debit_refunded: Decimal = Decimal(0)
    discount_conversion: Conversion | None = None  # a fixed-amount code in another currency
    # A gift card's redemption: the card's ``card_ref`` (``core.models.CodeRecord``), so the liability
    # report groups a card's items without reading its code (docs/money.md).
    card_ref: str | None = None

    @property
    def gift_card_taken(self) -> Decimal:
        """What the card was debited, in the card's currency."""
        return self.gift_card_debit.amount if self.gift_card_debit else self.gift_card_amount

    @property
    def gift_card_returned(self) -> Decimal:
        """What refunds gave back onto the card so far, in the card's currency."""
        return self.gift_card_debit_refunded if self.gift_card_debit else self.gift_card_refunded

    @property
    def goods_discount(self) -> Decimal:
        """The discount on the goods: what the cart says was applied, else this code's."""
        return self.discount if self.cart.discount is None else self.cart.discount

    @property
    def paid_goods_total(self) -> Decimal:
        """What the customer paid for the goods, excluding shipping and tax: the figure partners
        count commission on. Every outbound report uses this one property.

            subtotal - goods discount - (tax, when the subtotal includes it)

        A gift card is a means of payment, not a discount: goods paid with a card were paid for
        (the card's own sale was not a sale of goods), so ``gift_card_amount`` does not lower it.
        Shipping, a free-shipping code's discount on it, and tax added on top never enter it.
        Rounded to the currency's minor unit (ISO 4217), never below 0."""
        cart = self.cart
        total = cart.subtotal - self.goods_discount - (cart.tax if cart.taxes_included else 0)
        return money.quantize(max(total, Decimal(0)), cart.currency)

    @property
    def order_total(self) -> Decimal:
        """What the customer owes for the whole order, however paid (gift card included): the most
        refunds may give back. Goods after discount, shipping after its discount, tax on top."""
        cart = self.cart
        total = (cart.subtotal - self.goods_discount + cart.shipping - self.shipping_discount
                 + (0 if cart.taxes_included else cart.tax))
        return money.quantize(max(total, Decimal(0)), cart.currency)

    def refunded_share(self, refunded: Decimal) -> Decimal:
        """``paid_goods_total`` scaled by the part of the order refunded (what partners' commission
        loses), rounded to the currency's minor unit."""
        if self.order_total == 0:
            return Decimal(0)
        return money.quantize(self.paid_goods_total * refunded / self.order_total, self.cart.currency)


class Refund(Model):
    """One partial refund of a redemption (its refund event carries it)."""

    refund_id: str
    amount: Decimal  # given back to the customer for the order
    gift_card_amount: Decimal  # of which back onto the gift card (its share of the order)
    goods_amount: Decimal  # the share of paid_goods_total this refund takes back
    created_at: datetime
    gift_card_debit: Decimal | None = None  # a card in another currency: what goes back onto it, in its currency

    @property
    def gift_card_credit(self) -> Decimal:
        """What this refund gave back onto the card, in the card's currency."""
        return self.gift_card_amount if self.gift_card_debit is None else self.gift_card_debit


# ---- partners' tracking references --------------------------------------------------------------

# Which partner a tracking reference (the ``ref`` of a link on the brand's site) belongs to, by
# prefix, from the partner registry: the checkout routes a code-less sale without importing a partner.
TRACKING_REF_PREFIXES = partners.REF_PREFIXES
_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{1,99}", re.ASCII)
# partner_of_ref's rule for OpenAPI: a partner's prefix (any case), then up to 100 characters in all.
REF_SCHEMA = "^(?:" + "|".join(
    "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in prefix)
    + f"[A-Za-z0-9_-]{{{max(0, 2 - len(prefix))},{100 - len(prefix)}}}"
    for prefix in sorted(TRACKING_REF_PREFIXES)) + ")$"


class RefRefused(ValueError):
    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason, self.message = reason, message


def partner_of_ref(ref: str) -> str:
    """The partner ``ref`` belongs to, or ``RefRefused`` with reason ``malformed_ref`` (not 2-100
    ASCII letters, digits, ``-`` and ``_``) or ``unknown_ref`` (no partner's prefix)."""
    if not _REF.fullmatch(ref):
        raise RefRefused("malformed_ref", f"The ref {ref[:100]!r} is not a tracking reference: 2 to 100 ASCII "
                                          "letters, digits, '-' and '_', such as bb-123")
    for prefix, partner in TRACKING_REF_PREFIXES.items():
        if ref.lower().startswith(prefix):
            return partner
    known = ", ".join(f"{p}… ({partner})" for p, partner in TRACKING_REF_PREFIXES.items())
    raise RefRefused("unknown_ref", f"The ref {ref!r} belongs to no partner this service reports to ({known})")


@dataclass(frozen=True)
class SaleEvent:
    """One outbox event: a sale, its rollback or a partial refund, to report to the partner that owns the code."""

    kind: str  # SALE, ROLLBACK or REFUND
    delivery_id: str  # the outbox key: stable across retries, so partners can deduplicate
    redemption: Redemption  # as it stood after the event
    timeout_seconds: float = 5.0
    refund: Refund | None = None  # REFUND events: this refund


class DeliveryFailed(Exception):
    """The partner did not take the event; worth trying again later."""


# (table, event) -> (DELIVERED or SKIPPED, a note for the outbox item); raises DeliveryFailed.
Reporter = Callable[[Table, SaleEvent], tuple[str, str]]


@dataclass(frozen=True)
class Alert:
    """One leak-guard notice (``code.paused``...) for one ``target`` (``guard``: the brand's webhook,
    else a partner), from its own outbox item: ``delivery_id`` is that item's key, the same on every
    retry, so a receiver can drop a repeat (coupons.guard.notices)."""

    event: str
    delivery_id: str
    target: str
    body: dict
    timeout_seconds: float = 5.0


# Sends one alert; answers like a Reporter, raises DeliveryFailed to be tried again later.
AlertSender = Callable[[Table, Alert], tuple[str, str]]


def send(request: urllib.request.Request, timeout_seconds: float) -> int:
    """Send one HTTP request to a partner; anything but a 2xx/3xx answer is ``DeliveryFailed``.
    The URL's query is left out of messages: Brandbassador's pixel carries the brand's key there."""
    where = request.full_url.split("?")[0]
    try:
        with urllib.request.urlopen(request, timeout=timeout_seconds) as response:  # noqa: S310 - configured URL
            return int(response.status)
    except urllib.error.HTTPError as error:
        raise DeliveryFailed(f"{where} answered HTTP {error.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise DeliveryFailed(f"{where} unreachable: {error}") from None

"""The seam between the checkout and the partners: a redemption, and how a sale reaches its owner.

The checkout records a ``Redemption`` and an outbox event in one transaction (``core.outbox``); the
sender hands each event to the ``Reporter`` registered for the partner that owns the code. Each
partner's reporter lives in its own package (Brandbassador's tracking pixel, Friendbuy's purchase,
the signed webhook); the sender function composes them, so no partner package imports another.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum

from pydantic import BaseModel, Field

from coupons.core.models import DiscountKind, Owner
from coupons.core.table import Table

SALE, ROLLBACK = "sale", "rollback"
# What a reporter answers: the event was taken by the partner, or there was nothing to send.
DELIVERED, SKIPPED = "delivered", "skipped"


class Cart(BaseModel):
    subtotal: Decimal  # excluding shipping; what a percent code applies to
    shipping: Decimal = Decimal("0.00")
    currency: str


class Customer(BaseModel):
    id: str | None = None
    email: str | None = None

    @property
    def key(self) -> str | None:
        """Who counts against a per-customer limit: the checkout's customer id, else the e-mail
        (case-insensitive). Hashed, so no address ends up in a key."""
        identity = f"id:{self.id}" if self.id else f"email:{self.email.strip().lower()}" if self.email else None
        return hashlib.sha256(identity.encode()).hexdigest()[:32] if identity else None


class RedemptionState(str, Enum):
    REDEEMED = "redeemed"
    ROLLED_BACK = "rolled_back"


class Redemption(BaseModel):
    """One use of a code by one order, attributed to the code's owner."""

    id: str
    code: str
    order_id: str
    state: RedemptionState = RedemptionState.REDEEMED
    kind: DiscountKind
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

    @property
    def paid_goods_total(self) -> Decimal:
        """What the customer paid for the goods, excluding shipping: the figure partners count
        commission on. Every outbound report uses this one property."""
        return self.cart.subtotal - self.discount


@dataclass(frozen=True)
class SaleEvent:
    """One outbox event: a sale or its rollback, to report to the partner that owns the code."""

    kind: str  # SALE or ROLLBACK
    delivery_id: str  # the outbox key: stable across retries, so partners can deduplicate
    redemption: Redemption
    timeout_seconds: float = 5.0


class DeliveryFailed(Exception):
    """The partner did not take the event; worth trying again later."""


# (table, event) -> (DELIVERED or SKIPPED, a note for the outbox item); raises DeliveryFailed.
Reporter = Callable[[Table, SaleEvent], tuple[str, str]]


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

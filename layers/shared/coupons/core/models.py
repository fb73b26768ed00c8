"""Domain records: what a code gives, who owns it, and the code itself."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum

from pydantic import ConfigDict, Field, model_validator

from coupons.core.base_model import Model
from coupons.core.credentials import verify_secret


class DiscountKind(str, Enum):
    PERCENT = "percent"  # percent of the purchase value excluding shipping
    FIXED = "fixed"  # a fixed amount off, in ``currency``
    FREE_SHIPPING = "free_shipping"
    GIFT_CARD = "gift_card"  # a balance in ``currency``, spent down across orders


class Discount(Model):
    model_config = ConfigDict(frozen=True)

    kind: DiscountKind
    value: Decimal | None = None
    currency: str | None = None

    @model_validator(mode="after")
    def _value_fits_kind(self) -> Discount:
        if self.kind is DiscountKind.PERCENT and not (self.value is not None and 0 < self.value <= 100):
            raise ValueError("a percent discount needs a value above 0 and at most 100")
        if self.kind in (DiscountKind.FIXED, DiscountKind.GIFT_CARD) and (
            self.value is None or self.value <= 0 or not self.currency
        ):
                raise ValueError(f"a {self.kind.value} discount needs a positive value and a currency")
        return self


class Owner(Model):
    """Who a sale made with the code is attributed to."""

    model_config = ConfigDict(frozen=True)

    partner: str  # brandbassador, sitevibes, affonso, friendbuy, admin
    account: str  # the partner account inside this deployment: webshop, reward, programme, campaign
    person: str | None = None  # ambassador, shopper email, affiliate, advocate


def utcnow() -> datetime:
    return datetime.now(UTC)


class CodeRecord(Model):
    """A code in the namespace. ``code`` is canonical (upper case)."""

    code: str
    discount: Discount
    owner: Owner
    max_uses: int | None = Field(default=None, ge=1)  # None: unlimited
    uses: int = 0
    # Uses one customer (checkout's customer id or e-mail) may make; None: no per-customer limit.
    max_uses_per_customer: int | None = Field(default=None, ge=1)
    balance: Decimal | None = None  # gift cards only
    starts_on: date | None = None
    expires_on: date | None = None  # last valid day (inclusive, UTC)
    status: str = "active"  # or "disabled"
    disabled_by: str | None = None  # who disabled the code (admin CLI), and when
    disabled_at: datetime | None = None
    # Paused by the leak guard (or an admin): refused at checkout until unpaused (coupons.guard.pausing).
    paused_at: datetime | None = None
    paused_by: str | None = None
    description: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    # Hash of the request that created the code: an identical retry replays success, anything
    # else for the same code is a duplicate (see issuing.create_code).
    fingerprint: str = ""
    # A gift card's random, non-secret name (``code_items.to_item`` draws it): its redemptions and
    # refunds carry it, so the checkout's liability report groups them without reading any code.
    card_ref: str | None = None


class Account(Model):
    """A partner account configured in this deployment (webshop, reward, programme, campaign)."""

    partner: str
    account_id: str
    secret_hash: str | None = None
    # Key rotation with overlap: the key before the last rotation stays valid until this moment.
    previous_secret_hash: str | None = None
    previous_valid_until: datetime | None = None
    settings: dict = Field(default_factory=dict)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # Goes up by one with every write (account_items): an edit made from an older read is refused
    # (account_items.save). 0: never written with a version (an item stored before versions).
    version: int = 0

    def opens_with(self, presented: str | None, now: datetime | None = None) -> bool:
        """Whether ``presented`` is the current key, or the previous one within its grace period.
        Both are compared every time, so the answer takes as long whichever matched."""
        current = verify_secret(presented, self.secret_hash)
        previous = verify_secret(presented, self.previous_secret_hash)
        in_grace = self.previous_valid_until is not None and (now or utcnow()) < self.previous_valid_until
        return current or (previous and in_grace)

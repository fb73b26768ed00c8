"""Brandbassador webshops: settings, and codes created on behalf of their ambassadors.

A brand may run several webshops, each with its own base currency and key. The settings mirror
what the brand sets in Brandbassador (uses per code, days a code is valid): they fill in what a
request leaves out.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from pydantic import Field

from coupons.core import account_items, issuing, sealed
from coupons.core.accounts import authenticate
from coupons.core.base_model import Model
from coupons.core.errors import InvalidRequest, LimitReached
from coupons.core.models import CodeRecord, Discount, DiscountKind, Owner, utcnow
from coupons.core.table import Table

PARTNER = "brandbassador"


# A gift card is bearer money minted by a key that travels in a query string (Brandbassador's
# contract): without a cap, one leaked key mints any value. Brands raise it per webshop.
DEFAULT_MAX_GIFT_CARD = Decimal("1000.00")


class WebshopSettings(Model):
    base_currency: str
    # Gift cards are spendable in any currency at the brand's rates (docs/money.md), so any ISO 4217
    # currency is accepted; a non-empty list makes base + these an allow-list.
    extra_currencies: list[str] = Field(default_factory=list)
    uses_per_code: int | None = Field(default=None, ge=1, le=1_000_000_000)  # None: unlimited
    valid_days: int | None = Field(default=None, ge=1, le=3650)  # None: no expiry
    # Sent with Brandbassador's sales pixel (webshops set-tracking-key), so kept sealed with KMS:
    # this function reads the settings but may not decrypt it (tracking_key_of, the sender's).
    tracking_key: str | None = None
    max_gift_card: Decimal = Field(default=DEFAULT_MAX_GIFT_CARD, gt=0, le=Decimal("999999999.99"))
    daily_codes: int | None = Field(default=None, ge=1)  # codes a day, any kind; None: no limit
    daily_gift_card_value: Decimal | None = Field(default=None, gt=0)  # gift-card value a day; None: no limit


def sealed_tracking_key(webshop_id: str, key: str) -> str:
    """The tracking key as stored in the webshop's settings (core.sealed, bound to its account item)."""
    return sealed.seal(key, sealed.Purpose.TRACKING_KEY, account_items.key(PARTNER, webshop_id)["pk"])


def tracking_key_of(webshop_id: str, stored: str) -> str:
    """The tracking key a webshop's settings hold (a KMS Decrypt, cached 30 s; the sender's)."""
    return sealed.unseal(stored, sealed.Purpose.TRACKING_KEY, account_items.key(PARTNER, webshop_id)["pk"])


class Webshop(Model):
    id: str
    settings: WebshopSettings


class CodeRequest(Model):
    """A code an ambassador asked for, as Brandbassador sent it (before webshop defaults)."""

    code: str  # canonical
    raw_code: str  # as sent; part of the retry fingerprint, so JOHN20 after john20 is a duplicate
    percentage: Decimal | None = None
    amount: Decimal | None = None
    currency: str | None = None
    expires_on: date | None = None
    max_uses: int | None = None
    ambassador: str | None = None
    description: str | None = None


def open_webshop(table: Table, webshop_id: str, key: str | None) -> Webshop:
    account = authenticate(table, PARTNER, webshop_id, key, noun="webshop")
    return Webshop(id=webshop_id, settings=WebshopSettings.model_validate(account.settings))


def create_code(table: Table, webshop: Webshop, request: CodeRequest) -> issuing.Issued:
    settings = webshop.settings
    if request.percentage is not None:
        discount = Discount(kind=DiscountKind.PERCENT, value=request.percentage)
        balance = None
    else:
        currency = request.currency or settings.base_currency
        allowed = [settings.base_currency, *settings.extra_currencies] if settings.extra_currencies else None
        if allowed is not None and currency not in allowed:
            raise InvalidRequest(
                f"Gift cards in {currency} are not accepted by webshop {webshop.id!r}; "
                f"it accepts {', '.join(allowed)}"
            )
        if request.amount is not None and request.amount > settings.max_gift_card:
            raise LimitReached(f"Gift cards of webshop {webshop.id!r} are at most {settings.max_gift_card} "
                               f"{settings.base_currency}; {request.amount} was asked for")
        discount = Discount(kind=DiscountKind.GIFT_CARD, value=request.amount, currency=currency)
        balance = request.amount

    today = utcnow().date()
    expires_on = request.expires_on
    if expires_on is not None and expires_on < today:
        raise InvalidRequest(f"The expiry date {expires_on.isoformat()} is in the past")
    if expires_on is None and settings.valid_days:
        expires_on = today + timedelta(days=settings.valid_days)

    record = CodeRecord(
        code=request.code,
        discount=discount,
        owner=Owner(partner=PARTNER, account=webshop.id, person=request.ambassador),
        max_uses=request.max_uses if request.max_uses is not None else settings.uses_per_code,
        balance=balance,
        expires_on=expires_on,
        description=request.description,
        fingerprint=issuing.fingerprint(PARTNER, webshop.id, request.model_dump(exclude={"code"})),
    )
    # The day's counter beside the webshop: the function may count there but never write the webshop
    # item (its key hash, its tracking key): template.yaml, BrandbassadorFunction's policy.
    budget = issuing.Budget(PARTNER, webshop.id, settings.daily_codes, settings.daily_gift_card_value,
                            own_partition=True)
    return issuing.create_code(table, record, budget=budget)

"""Affiliate programmes (Affonso): settings, the coupon blueprint, commission terms, and API-key access.

A programme is a partner account (``ACCOUNT#affonso#<programme id>``) whose secret is the API key
the brand's server presents when it asks for an embed token. The blueprint is the discount every
self-service coupon of the programme gets; affiliates choose only the code. Everything else here is
what the affiliate portal shows (Affonso's "Get Embed Data"): links, logo, theme colours, the
commission terms (``rewards``), incentives and creatives, all set by the brand with the admin CLI.
"""

from __future__ import annotations

import re
from decimal import Decimal
from enum import Enum

from pydantic import Field, field_validator, model_validator

from coupons.core import account_items, issuing, money
from coupons.core.accounts import authenticate
from coupons.core.base_model import Model
from coupons.core.models import Discount
from coupons.core.table import Table

PARTNER = "affonso"
_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}", re.ASCII)
_URL = re.compile(r"https?://[^\s<>\"']+", re.ASCII)
CENT = Decimal("0.01")
# The largest daily budgets the admin CLI takes (issue 13: abuse limits per programme).
MAX_DAILY_COUPONS = 1_000_000
MAX_DAILY_FLAT_VALUE = Decimal("999999999.99")


def _url_or_none(value: str | None) -> str | None:
    if value is not None and not _URL.fullmatch(value):
        raise ValueError(f"{value[:80]!r} is not an http(s) URL")
    return value


class Theme(Model):
    """The portal's colours, as Affonso's ``theme`` carries them (``#rrggbb``)."""

    primary_color: str | None = None
    secondary_color: str | None = None

    @field_validator("primary_color", "secondary_color")
    @classmethod
    def _hex_colour(cls, value: str | None) -> str | None:
        if value is not None and not _COLOUR.fullmatch(value):
            raise ValueError(f"{value!r} is not a colour like #881337")
        return value.lower() if value else value


class RewardType(str, Enum):
    PERCENTAGE = "percentage"  # a percent of each sale's paid goods total
    FLAT = "flat"  # a fixed amount per sale, in the programme's currency


class Rewards(Model):
    """The affiliate's commission terms (Affonso's ``rewards``).

    ``recurring`` and ``duration`` are shown as the brand states them: this service sees one-off
    checkout redemptions, so every redemption of the affiliate's code is one sale with one commission.
    """

    type: RewardType
    amount: Decimal = Field(gt=0)
    recurring: bool = False
    duration: str | None = Field(None, max_length=40)  # e.g. "lifetime", "12 months"

    @model_validator(mode="after")
    def _percent_at_most_100(self) -> Rewards:
        if self.type is RewardType.PERCENTAGE and self.amount > 100:
            raise ValueError("a percentage reward is at most 100")
        return self

    def commission(self, paid: Decimal, sale_currency: str, programme_currency: str | None) -> Decimal | None:
        """The commission on one sale of ``paid`` (half up to the sale currency's ISO 4217 exponent:
        JPY none, KWD three), or None when the terms cannot price it: a flat amount in the
        programme's currency does not apply to a sale in another currency."""
        if self.type is RewardType.PERCENTAGE:
            return money.quantize(paid * self.amount / 100, sale_currency)
        return self.amount if sale_currency == programme_currency else None


class Incentive(Model):
    """A bonus the brand offers its affiliates, shown as written (Affonso documents no fields)."""

    name: str = Field(min_length=1, max_length=120)
    description: str | None = Field(None, max_length=500)


class Creative(Model):
    """A marketing asset for affiliates: Affonso's ``creatives[]`` entry."""

    id: str
    name: str = Field(min_length=1, max_length=120)
    url: str
    description: str | None = Field(None, max_length=500)
    category: str | None = Field(None, max_length=60)
    width: int | None = Field(None, gt=0)
    height: int | None = Field(None, gt=0)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return _url_or_none(value) or value


class ProgrammeSettings(Model):
    name: str
    # What an affiliate's coupon gives: percent or fixed (with currency). None: no blueprint.
    blueprint: Discount | None = None
    self_service: bool = False  # may affiliates create their own coupon?
    website_url: str | None = None  # the brand's site; the affiliate link is <website_url>?via=<tracking id>
    portal_url: str | None = None  # where the brand hosts the affiliate portal page
    logo_url: str | None = None
    theme: Theme = Field(default_factory=Theme)
    # The programme's currency: a flat reward's, and the one sales totals are counted in.
    currency: str | None = None
    rewards: Rewards | None = None
    incentives: list[Incentive] = Field(default_factory=list)
    creatives: list[Creative] = Field(default_factory=list)
    # Abuse limits: coupons the programme's affiliates may create per UTC day, and the sum of a flat
    # blueprint's amounts over them (in the blueprint's currency); None: no limit of that kind.
    daily_coupons: int | None = Field(None, ge=1, le=MAX_DAILY_COUPONS)
    daily_flat_value: Decimal | None = Field(None, gt=0, le=MAX_DAILY_FLAT_VALUE, decimal_places=2)

    @field_validator("website_url", "portal_url", "logo_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return _url_or_none(value)

    def budget(self, programme_id: str) -> issuing.Budget:
        """The daily budget every coupon is counted against, in the coupon's own transaction. Its
        counter sits beside the programme (own partition): the function may count, not edit settings."""
        return issuing.Budget(PARTNER, programme_id, codes=self.daily_coupons, fixed_value=self.daily_flat_value,
                              own_partition=True)

    @property
    def coupon_blueprint(self) -> Discount | None:
        """The blueprint affiliates may use now: none when self-service is off or unconfigured."""
        return self.blueprint if self.self_service else None

    @property
    def totals_currency(self) -> str | None:
        """The currency sales totals are in: the programme's, else a flat blueprint's."""
        return self.currency or (self.blueprint.currency if self.blueprint else None)


class Programme(Model):
    id: str = Field(min_length=1)
    settings: ProgrammeSettings
    version: int = 0  # the account's version these settings were read at (core.account_items)


def open_programme(table: Table, programme_id: str, api_key: str | None) -> Programme:
    """The programme, if ``api_key`` is its key (``NotFound`` / ``Unauthenticated`` / ``Forbidden``)."""
    account = authenticate(table, PARTNER, programme_id, api_key, noun="programme")
    return Programme(id=programme_id, settings=ProgrammeSettings.model_validate(account.settings),
                     version=account.version)


def load_programme(table: Table, programme_id: str, fresh: bool = False) -> Programme | None:
    """The programme an embed token belongs to (the token itself is the credential), from memory:
    at most ``cache.TTL_SECONDS`` old, so a change the brand makes reaches the portal within that
    bound; ``fresh`` reads it now. The coupon's transaction holds on its version, so no coupon is
    made on settings older than the table's."""
    account = account_items.get_cached(table, PARTNER, programme_id, fresh=fresh)
    if account is None:
        return None
    return Programme(id=programme_id, settings=ProgrammeSettings.model_validate(account.settings),
                     version=account.version)

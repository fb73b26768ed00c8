"""Affiliate programmes (Affonso): settings, the coupon blueprint, and API-key access.

A programme is a partner account (``ACCOUNT#affonso#<programme id>``) whose secret is the API key
the brand's server presents when it asks for an embed token. The blueprint is the discount every
self-service coupon of the programme gets; affiliates choose only the code.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from coupons.core import account_items
from coupons.core.accounts import authenticate
from coupons.core.models import Discount
from coupons.core.table import Table

PARTNER = "affonso"


class ProgrammeSettings(BaseModel):
    name: str
    # What an affiliate's coupon gives: percent or fixed (with currency). None: no blueprint.
    blueprint: Discount | None = None
    self_service: bool = False  # may affiliates create their own coupon?
    website_url: str | None = None  # the brand's site; the affiliate link is <website_url>?via=<tracking id>

    @property
    def coupon_blueprint(self) -> Discount | None:
        """The blueprint affiliates may use now: none when self-service is off or unconfigured."""
        return self.blueprint if self.self_service else None


class Programme(BaseModel):
    id: str = Field(min_length=1)
    settings: ProgrammeSettings


def open_programme(table: Table, programme_id: str, api_key: str | None) -> Programme:
    """The programme, if ``api_key`` is its key (``NotFound`` / ``Unauthenticated`` / ``Forbidden``)."""
    account = authenticate(table, PARTNER, programme_id, api_key, noun="programme")
    return Programme(id=programme_id, settings=ProgrammeSettings.model_validate(account.settings))


def load_programme(table: Table, programme_id: str) -> Programme | None:
    """The programme an embed token belongs to; the token itself is the credential."""
    account = account_items.get(table, PARTNER, programme_id)
    if account is None:
        return None
    return Programme(id=programme_id, settings=ProgrammeSettings.model_validate(account.settings))

"""Friendbuy fixtures: a small campaign with small banks on a fresh moto table (moto copies the
whole table for every item of a transaction, so domain tests keep their tables small)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from decimal import Decimal

import pytest

from coupons.core.models import Discount, DiscountKind
from coupons.core.table import Table
from coupons.friendbuy import banks, campaigns
from coupons.friendbuy.banks import BankSettings
from coupons.friendbuy.campaigns import CampaignSettings
from coupons.friendbuy.referrals import Advocate, ReferralRequest
from coupons.friendbuy.wire import credentials_of
from coupons_admin import bank_loading
from localrun.partner_stub import PartnerStub

CAMPAIGN, KEY, SECRET = "700", "key-700", "secret-700"
BANK, EMPTY_BANK, NAMED_BANK = "70", "71", "72"
BANK_CODES = [f"BANKCODE{i}" for i in range(1, 7)]
NAMED_CODES = ["CLOONEY1", "ZHENG1"]


def basic(key: str = KEY, secret: str = SECRET) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


def bank_settings(**changes) -> BankSettings:
    values = {"campaign_id": CAMPAIGN, "discount": Discount(kind=DiscountKind.PERCENT, value=Decimal(10)), "shards": 2}
    return BankSettings(**{**values, **changes})


@pytest.fixture
def fb_table(table: Table) -> Table:
    campaigns.add_campaign(table, CAMPAIGN, SECRET, CampaignSettings(access_key=KEY, link_base="https://b.example/r/"))
    bank_loading.upload(table, banks.add_bank(table, BANK, bank_settings()), BANK_CODES, workers=1)
    banks.add_bank(table, EMPTY_BANK, bank_settings())
    bank_loading.upload(table, banks.add_bank(table, NAMED_BANK, bank_settings(shards=1)), NAMED_CODES, workers=1)
    return table


@pytest.fixture
def caller(fb_table: Table) -> campaigns.Caller:
    return campaigns.caller(fb_table, credentials_of(basic()))


def from_bank(customer: str | None, email: str = "a@example.com", bank: str = BANK, campaign: str = CAMPAIGN) -> ReferralRequest:
    return ReferralRequest(campaign_id=campaign, advocate=Advocate(customer_id=customer, email=email), bank_id=bank)


def with_code(customer: str | None, code: str, email: str = "a@example.com") -> ReferralRequest:
    return ReferralRequest(campaign_id=CAMPAIGN, advocate=Advocate(customer_id=customer, email=email), coupon_code=code)


@pytest.fixture
def stub() -> Iterator[PartnerStub]:
    """The local partner stub, as Friendbuy's Merchant API (and any other partner)."""
    partner = PartnerStub().start()
    yield partner
    partner.close()

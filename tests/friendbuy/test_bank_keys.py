"""Key design of coupon banks at scale (the arithmetic of docs/architecture.md, "Coupon banks"),
and the bound on how long cached configuration lives."""

from collections import Counter

import pytest

from coupons.core import cache
from coupons.core.errors import NotFound, Unauthenticated
from coupons.friendbuy import bank_items, campaigns, referral_items, referrals
from coupons.friendbuy.banks import BankSettings
from coupons.friendbuy.campaigns import CampaignSettings
from coupons.friendbuy.wire import credentials_of
from coupons_admin import bank_loading
from tests.friendbuy.conftest import CAMPAIGN, KEY, SECRET, basic, from_bank

PARTITION_WRITES_PER_SECOND = 1_000  # what one DynamoDB (and GSI) partition takes
UPLOAD_CODES_PER_SECOND = 10_000
ASSIGNMENTS_PER_SECOND = 1_000
DEFAULT_SHARDS = BankSettings.model_fields["shards"].default


def busiest_share(keys: list[str]) -> float:
    return max(Counter(keys).values()) / len(keys)


@pytest.mark.parametrize("codes", [
    [f"SUMMER{i:06d}" for i in range(10_000)],  # an uploaded list: sequential codes
    [bank_loading.generated_code(bank_loading.Bank(id="B", settings=BankSettings(
        campaign_id="1", discount={"kind": "free_shipping"}), generation_key="ab" * 32), i) for i in range(10_000)],
], ids=["uploaded", "generated"])
def test_free_pool_shards_keep_every_index_key_under_a_partitions_budget(codes):
    keys = [bank_items.pool_keys("9900", DEFAULT_SHARDS, c)["gsi1pk"] for c in codes]
    assert len(set(keys)) == DEFAULT_SHARDS
    # 10,000 codes over 16 shards: 625 each on average; the busiest within 15 % of that.
    assert busiest_share(keys) * len(codes) <= 1.15 * len(codes) / DEFAULT_SHARDS
    # An upload at 10,000 codes/s writes each index key at most this often:
    assert busiest_share(keys) * UPLOAD_CODES_PER_SECOND < 0.75 * PARTITION_WRITES_PER_SECOND
    # Assignments remove codes from the same keys, drawn at random: 1,000/s -> ~63/s per key.
    assert busiest_share(keys) * ASSIGNMENTS_PER_SECOND < 0.1 * PARTITION_WRITES_PER_SECOND


def test_referral_listing_shards_keep_assignments_under_a_partitions_budget():
    codes = [referrals.new_referral_code() for _ in range(10_000)]
    keys = [referral_items.referral_listing_keys("53345", c, "2026-01-01T00:00:00")["gsi1pk"] for c in codes]
    assert len(set(keys)) == referral_items.REFERRAL_SHARDS
    assert busiest_share(keys) * ASSIGNMENTS_PER_SECOND < 0.3 * PARTITION_WRITES_PER_SECOND


def test_a_revoked_key_and_a_deactivated_campaign_stop_working_within_the_cache_bound(fb_table, monkeypatch):
    now = [0.0]
    monkeypatch.setattr(cache, "_clock", lambda: now[0])
    caller = campaigns.caller(fb_table, credentials_of(basic()))  # the function's table: key now cached
    referrals.refer(fb_table, caller, from_bank("C1"))  # campaign and bank cached too
    with monkeypatch.context() as admin_cli:  # another process: this one's memory is not told
        admin_cli.setattr(cache, "forget", lambda *_: None)
        campaigns.add_campaign(fb_table, CAMPAIGN, SECRET, CampaignSettings(access_key="key-new", active=False))

    now[0] += cache.TTL_SECONDS - 1  # within the bound the old configuration may still answer
    assert campaigns.caller(fb_table, credentials_of(basic())).campaigns == {CAMPAIGN}
    now[0] += 2  # past it, never
    with pytest.raises(Unauthenticated):  # the key lost its last campaign: it is gone
        campaigns.caller(fb_table, credentials_of(basic(KEY, SECRET)))
    new_caller = campaigns.caller(fb_table, credentials_of(basic("key-new", SECRET)))
    with pytest.raises(NotFound, match="not active"):
        referrals.refer(fb_table, new_caller, from_bank("C2"))

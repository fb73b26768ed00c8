"""Access keys shared by campaigns: never silently re-keyed, gone with their last campaign."""

import pytest

from coupons.core.errors import InvalidRequest, Unauthenticated
from coupons.friendbuy import campaigns
from coupons.friendbuy import key_items as campaign_keys
from coupons.friendbuy.campaigns import CampaignSettings


def settings(key: str) -> CampaignSettings:
    return CampaignSettings(access_key=key, link_base="https://b.example/r/")


def test_granting_a_shared_key_with_another_secret_is_refused_and_changes_nothing(table):
    campaigns.add_campaign(table, "100", "first-secret", settings("shared"))
    with pytest.raises(InvalidRequest, match="already used with another secret"):
        campaigns.add_campaign(table, "200", "other-secret", settings("shared"))
    assert campaigns.authorize(table, "shared", "first-secret").token  # the first campaign still works
    with pytest.raises(Unauthenticated):
        campaigns.authorize(table, "shared", "other-secret")
    campaigns.add_campaign(table, "200", "first-secret", settings("shared"))  # the same secret: both open
    assert campaign_keys.get_key(table, "shared")["campaigns"] == {"100", "200"}


def test_a_key_that_loses_its_last_campaign_is_removed_and_gets_no_token(table):
    campaigns.add_campaign(table, "100", "s", settings("old-key"))
    campaigns.add_campaign(table, "100", "s2", settings("new-key"))  # the campaign moves to a new key
    assert campaign_keys.get_key(table, "old-key") is None
    with pytest.raises(Unauthenticated):
        campaigns.authorize(table, "old-key", "s")
    assert campaigns.authorize(table, "new-key", "s2").token

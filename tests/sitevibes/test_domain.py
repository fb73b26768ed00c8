"""Rewards through the domain and the DynamoDB store (moto): codes, collisions, the retry window."""

import random
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from botocore.exceptions import ClientError

from coupons.core import account_items, code_items, codes
from coupons.core.errors import Unauthenticated, Unavailable
from coupons.core.models import CodeRecord, Discount, DiscountKind, Owner
from coupons.core.table import Table
from coupons.sitevibes import items as claim_items
from coupons.sitevibes import rewards
from coupons.sitevibes.rewards import CodePattern, RewardExpired, RewardSettings
from coupons_admin.rewards import add_reward
from tests.sitevibes.conftest import open_demo, sitevibes_codes, stored_claim

EMAIL = "john.smith@email.com"


def redeem(table, clock, email=EMAIL, reward="demo", **kwargs):
    return rewards.redeem(table, open_demo(table, reward), email, now=clock, **kwargs)


def draws(*values):
    """A code generator that hands out ``values`` in order, as a seeded generator would."""
    return iter(values).__next__


def taken(table, code, partner="brandbassador"):
    code_items.create(table, CodeRecord(code=code, discount=Discount(kind=DiscountKind.PERCENT, value=Decimal(5)),
                                        owner=Owner(partner=partner, account="someone"), fingerprint="other"))


def test_a_redemption_creates_a_normal_code_checkout_can_redeem(demo_table, clock):
    issued = redeem(demo_table, clock)
    assert not issued.replayed and re.fullmatch(r"SV[A-HJ-NP-Z2-9]{8}", issued.code)
    stored = code_items.get(demo_table, issued.code, consistent=True)
    assert stored.discount == Discount(kind=DiscountKind.PERCENT, value=Decimal(10))
    assert stored.owner == Owner(partner="sitevibes", account="demo", person=EMAIL)
    assert (stored.max_uses, stored.uses, stored.status) == (1, 0, "active")
    assert stored.expires_on == clock().date() + timedelta(days=30)
    assert stored.created_at == clock()


def test_by_default_the_same_email_twice_gets_two_codes(demo_table, clock):
    # SiteVibes refuses a code it has seen ("the coupon code already exists -> the reward will not be
    # created"): answering a second redemption with the first one's code would lose that reward.
    first = redeem(demo_table, clock)
    again = redeem(demo_table, clock, email="  John.Smith@EMAIL.com")
    assert again.code != first.code and not again.replayed
    assert sorted(sitevibes_codes(demo_table)) == sorted([first.code, again.code])
    assert stored_claim(demo_table, "demo", EMAIL).code == again.code  # the latest


def test_with_a_retry_window_the_same_email_within_it_gets_the_same_code_and_nothing_new_is_written(demo_table, clock):
    first = redeem(demo_table, clock, reward="demo-window")
    clock.advance(59)
    again = redeem(demo_table, clock, email="  John.Smith@EMAIL.com", reward="demo-window")
    assert (again.code, again.replayed, again.issued_at) == (first.code, True, first.issued_at)
    assert sitevibes_codes(demo_table) == [first.code]


def test_after_the_window_a_new_redemption_gets_a_new_code(demo_table, clock):
    first = redeem(demo_table, clock, reward="demo-window")
    clock.advance(60.001)
    second = redeem(demo_table, clock, reward="demo-window")
    clock.advance(30)
    retry_of_second = redeem(demo_table, clock, reward="demo-window")
    assert second.code != first.code and not second.replayed
    assert retry_of_second.code == second.code and retry_of_second.replayed
    assert {r.code for r in code_items.list_by_owner(demo_table, "sitevibes", "demo-window")} == {first.code, second.code}
    assert stored_claim(demo_table, "demo-window", EMAIL).code == second.code


def test_the_window_is_per_reward_and_per_email(demo_table, clock):
    add_reward(demo_table, "other", "demo-key", RewardSettings(
        header_name="X-Api-Key", discount=Discount(kind=DiscountKind.FREE_SHIPPING), retry_window_seconds=60))
    one = redeem(demo_table, clock, reward="demo-window")
    other_reward = redeem(demo_table, clock, reward="other")
    other_email = redeem(demo_table, clock, email="jane@email.com", reward="demo-window")
    assert len({one.code, other_reward.code, other_email.code}) == 3
    assert not (other_reward.replayed or other_email.replayed)


def test_a_retry_window_of_zero_gives_every_redemption_its_own_code(demo_table, clock):
    add_reward(demo_table, "nowindow", "demo-key", RewardSettings(
        header_name="X-Api-Key", discount=Discount(kind=DiscountKind.PERCENT, value=Decimal(10)),
        retry_window_seconds=0))
    first = redeem(demo_table, clock, reward="nowindow")
    clock.advance(0.001)
    assert redeem(demo_table, clock, reward="nowindow").code != first.code


def test_a_collision_in_any_case_with_any_partner_draws_a_new_code(demo_table, clock):
    taken(demo_table, "SVAAAA2222")
    taken(demo_table, "SVBBBB3333", partner="friendbuy")
    issued = redeem(demo_table, clock, generate=draws("svaaaa2222", "SVBBBB3333", "SVCCCC4444"))
    assert issued.code == "SVCCCC4444"
    assert code_items.get(demo_table, "SVAAAA2222").owner.partner == "brandbassador"  # untouched
    assert code_items.get(demo_table, "SVCCCC4444").owner.person == EMAIL
    assert stored_claim(demo_table, "demo", EMAIL).code == "SVCCCC4444"


def test_collisions_with_the_reward_s_own_random_generator(demo_table, clock, monkeypatch):
    """The codes a seeded generator would draw first are taken; the redemption gets the next one."""
    monkeypatch.setattr(codes, "secrets", random.Random(7))
    pattern = open_demo(demo_table).settings.pattern
    first, second, third = pattern.generate(), pattern.generate(), pattern.generate()
    taken(demo_table, first)
    taken(demo_table, second)
    monkeypatch.setattr(codes, "secrets", random.Random(7))
    assert redeem(demo_table, clock).code == third


def test_when_every_attempt_collides_the_answer_is_unavailable_and_nothing_is_written(demo_table, clock):
    taken(demo_table, "SVAAAA2222")
    with pytest.raises(Unavailable):
        redeem(demo_table, clock, generate=lambda: "SVAAAA2222")
    assert stored_claim(demo_table, "demo", EMAIL) is None
    assert sitevibes_codes(demo_table) == []
    # The shopper is not stuck: SiteVibes' retry gets a code.
    assert redeem(demo_table, clock, generate=draws("SVDDDD5555")).code == "SVDDDD5555"


def test_a_reward_without_a_code_answers_empty_and_records_every_redemption(demo_table, clock):
    first = redeem(demo_table, clock, reward="demo-nocode")
    clock.advance(10)
    second = redeem(demo_table, clock, reward="demo-nocode")
    assert (first.code, second.code, first.replayed, second.replayed) == ("", "", False, False)
    assert sitevibes_codes(demo_table) == []
    recorded = list(claim_items.list_codeless(demo_table, "demo-nocode"))
    assert [r["person"] for r in recorded] == [EMAIL, EMAIL]
    assert [r["issued_at"] for r in recorded] == [first.issued_at.isoformat(), second.issued_at.isoformat()]


def test_a_reward_without_a_code_with_a_window_records_a_retry_once(demo_table, clock):
    add_reward(demo_table, "thanks", "demo-key", RewardSettings(header_name="X-Api-Key", gives_code=False,
                                                               retry_window_seconds=60))
    first = redeem(demo_table, clock, reward="thanks")
    clock.advance(10)
    retry = redeem(demo_table, clock, reward="thanks")
    clock.advance(60)
    later = redeem(demo_table, clock, reward="thanks")
    assert (first.replayed, retry.replayed, later.replayed) == (False, True, False)
    assert len(list(claim_items.list_codeless(demo_table, "thanks"))) == 2


@pytest.mark.parametrize(
    "discount, max_uses, expiry, expected_expiry",
    [
        (Discount(kind=DiscountKind.FIXED, value=Decimal("5.00"), currency="EUR"), None, {"valid_days": 7},
         date(2026, 3, 8)),
        (Discount(kind=DiscountKind.FREE_SHIPPING), 3, {"expires_on": date(2026, 12, 31)}, date(2026, 12, 31)),
        (Discount(kind=DiscountKind.PERCENT, value=Decimal("12.5")), 1, {}, None),
    ],
)
def test_the_code_carries_the_reward_s_settings(demo_table, clock, discount, max_uses, expiry, expected_expiry):
    add_reward(demo_table, "custom", "k", RewardSettings(
        header_name="X-Api-Key", discount=discount, max_uses=max_uses,
        pattern=CodePattern(prefix="VIP", length=10, alphabet="ABCDEFGHJK"), **expiry))
    issued = rewards.redeem(demo_table, rewards.open_reward(demo_table, "custom", {"x-api-key": "k"}), EMAIL, now=clock)
    assert re.fullmatch(r"VIP[A-HJK]{10}", issued.code)
    stored = code_items.get(demo_table, issued.code)
    assert (stored.discount, stored.max_uses, stored.expires_on) == (discount, max_uses, expected_expiry)


def test_a_reward_past_its_fixed_expiry_issues_nothing(demo_table, clock):
    add_reward(demo_table, "old", "k", RewardSettings(
        header_name="X-Api-Key", discount=Discount(kind=DiscountKind.FREE_SHIPPING), expires_on=date(2026, 2, 28)))
    with pytest.raises(RewardExpired, match="2026-02-28"):
        rewards.redeem(demo_table, rewards.open_reward(demo_table, "old", {"X-Api-Key": "k"}), EMAIL, now=clock)
    assert sitevibes_codes(demo_table) == [] and stored_claim(demo_table, "old", EMAIL) is None


@pytest.mark.parametrize("name", ["X-Api-Key", "x-api-key", "X-API-KEY"])
def test_header_names_match_in_any_case(demo_table, name):
    assert open_demo(demo_table, headers={name: "demo-key"}).id == "demo"


def test_an_authorization_header_with_a_bearer_value(demo_table):
    add_reward(demo_table, "bearer", "Bearer s3cr3t-token", RewardSettings(
        header_name="Authorization", discount=Discount(kind=DiscountKind.FREE_SHIPPING)))
    assert rewards.open_reward(demo_table, "bearer", {"authorization": "Bearer s3cr3t-token"}).id == "bearer"
    with pytest.raises(Unauthenticated):
        rewards.open_reward(demo_table, "bearer", {"authorization": "Bearer s3cr3t-tokem"})
    with pytest.raises(Unauthenticated):
        rewards.open_reward(demo_table, "bearer", {"X-Api-Key": "Bearer s3cr3t-token"})
    stored = account_items.get(demo_table, "sitevibes", "bearer").secret_hash
    assert "s3cr3t" not in stored


@pytest.mark.parametrize(
    "reward, headers",
    [
        ("nope", {"X-Api-Key": "demo-key"}),
        ("x" * 3000, {"X-Api-Key": "demo-key"}),  # never looked up: no oversized key
        ("démo", {"X-Api-Key": "demo-key"}),
        ("demo", {}),
        ("demo", {"X-Api-Key": "   "}),
        ("demo", {"X-Api-Key": "demo-kez"}),
        ("demo", {"X-Api-Key": "demo-key\x00"}),
        ("demo", {"Authorization": "demo-key"}),  # the right secret in the wrong header
    ],
)
def test_unknown_rewards_and_missing_or_wrong_headers_get_one_answer(demo_table, reward, headers):
    with pytest.raises(Unauthenticated) as refused:
        rewards.open_reward(demo_table, reward, headers)
    assert refused.value.message == rewards.NOT_OPENED  # no id, no header name: nothing to tell them apart


class RaceOnce:
    """A DynamoDB client whose first transaction loses a race: ``before`` runs (the competitor
    commits), then the transaction is cancelled with TransactionConflict, as DynamoDB does when two
    transactions touch the same item at once."""

    def __init__(self, client, before=lambda: None):
        self._client, self._before, self.raced = client, before, False

    def __getattr__(self, name):
        return getattr(self._client, name)

    def transact_write_items(self, **kwargs):
        if not self.raced:
            self.raced = True
            self._before()
            raise ClientError({"Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                               "CancellationReasons": [{"Code": "TransactionConflict"}, {"Code": "None"}]},
                              "TransactWriteItems")
        return self._client.transact_write_items(**kwargs)


def test_with_a_window_a_parallel_copy_of_the_redemption_that_commits_first_is_answered_with_its_code(
        demo_table, clock):
    winner = {}
    raced = Table(demo_table.name, RaceOnce(demo_table.client, lambda: winner.update(
        code=rewards.redeem(demo_table, open_demo(demo_table, "demo-window"), EMAIL, now=clock).code)))
    issued = rewards.redeem(raced, open_demo(demo_table, "demo-window"), EMAIL, now=clock)
    assert issued.replayed and issued.code == winner["code"]
    assert sitevibes_codes(demo_table) == [winner["code"]]


def test_a_transaction_conflict_alone_is_retried(demo_table, clock):
    raced = Table(demo_table.name, RaceOnce(demo_table.client))
    issued = rewards.redeem(raced, open_demo(demo_table), EMAIL, now=clock)
    assert raced.client.raced and not issued.replayed
    assert sitevibes_codes(demo_table) == [issued.code]

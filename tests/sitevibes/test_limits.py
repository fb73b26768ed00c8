"""Abuse limits of a reward: redemptions (and, for a fixed-amount reward, face value) per UTC day,
counted by a DynamoDB condition in the redemption's own transaction (moto for the rules, DynamoDB
Local for the races), and set with the admin CLI."""

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from coupons.core import account_items, code_items
from coupons.core import cache as config_cache
from coupons.core.errors import LimitReached
from coupons.core.models import Discount, DiscountKind, utcnow
from coupons.core.table import Table
from coupons.sitevibes import rewards
from coupons.sitevibes.rewards import MAX_DAILY_REDEMPTIONS, RewardSettings
from coupons_admin.__main__ import main
from coupons_admin.rewards import add_reward
from localrun.samples import sample_event
from tests.conftest import body
from tests.sitevibes.conftest import sitevibes_codes, stored_claim

PERCENT = Discount(kind=DiscountKind.PERCENT, value=Decimal(10))
FIVE_EUR = Discount(kind=DiscountKind.FIXED, value=Decimal("5.00"), currency="EUR")
ROUTE = ("POST", "/sitevibes/rewards/{reward}/coupons", {"reward": "demo"})


def add(table: Table, reward: str, discount: Discount | None = PERCENT, **settings) -> None:
    add_reward(table, reward, "k", RewardSettings(header_name="X-Api-Key", gives_code=discount is not None,
                                                  discount=discount, **settings))


def redeem(table: Table, reward: str, email: str, clock=utcnow, **kwargs) -> rewards.Issued:
    return rewards.redeem(table, rewards.open_reward(table, reward, {"X-Api-Key": "k"}), email, now=clock, **kwargs)


def counter(table: Table, reward: str, day) -> dict:
    key = account_items.budget_key("sitevibes", reward, day, own_partition=True)
    item = table.client.get_item(TableName=table.name, Key=table.serialize(key), ConsistentRead=True).get("Item")
    return table.deserialize(item) if item else {}


def test_the_daily_limit_counts_redemptions_and_refuses_the_next_without_writing_anything(table, clock):
    add(table, "limited", daily_redemptions=2)
    issued = [redeem(table, "limited", f"s{i}@email.com", clock).code for i in range(2)]
    with pytest.raises(LimitReached, match=r"'limited' has reached its daily limit \(2 redemptions a day\)"):
        redeem(table, "limited", "s3@email.com", clock)
    assert sorted(sitevibes_codes(table)) == sorted(issued)
    assert stored_claim(table, "limited", "s3@email.com") is None
    assert counter(table, "limited", clock().date())["codes"] == 2


def test_the_limit_is_per_utc_day(table, clock):
    add(table, "daily", daily_redemptions=1)
    redeem(table, "daily", "a@email.com", clock)
    with pytest.raises(LimitReached):
        redeem(table, "daily", "b@email.com", clock)
    clock.advance(12 * 3600)  # 00:00 UTC the next day
    assert redeem(table, "daily", "b@email.com", clock).code


def test_a_retry_within_the_window_is_answered_when_the_day_is_spent_and_is_not_counted(table, clock):
    add(table, "window", daily_redemptions=1, retry_window_seconds=60)
    first = redeem(table, "window", "a@email.com", clock)
    clock.advance(5)
    again = redeem(table, "window", "a@email.com", clock)  # SiteVibes' retry after a timeout
    assert (again.code, again.replayed) == (first.code, True)
    with pytest.raises(LimitReached):
        redeem(table, "window", "b@email.com", clock)
    assert counter(table, "window", clock().date())["codes"] == 1


def test_a_code_collision_costs_the_budget_nothing(table, clock):
    add(table, "collide", daily_redemptions=5)
    taken = redeem(table, "collide", "a@email.com", clock).code
    draws = iter([taken, "SVFRESH234"])
    assert redeem(table, "collide", "b@email.com", clock, generate=draws.__next__).code == "SVFRESH234"
    assert counter(table, "collide", clock().date())["codes"] == 2


def test_a_reward_without_a_code_counts_its_redemptions_too(table, clock):
    add(table, "thanks", discount=None, daily_redemptions=1)
    assert redeem(table, "thanks", "a@email.com", clock).code == ""
    clock.advance(1)
    with pytest.raises(LimitReached, match=r"\(1 redemption a day\)"):
        redeem(table, "thanks", "a@email.com", clock)


def test_a_fixed_amount_reward_counts_the_face_value_of_its_codes(table, clock):
    add(table, "fiver", discount=FIVE_EUR, daily_value=Decimal("12.00"))
    redeem(table, "fiver", "a@email.com", clock)
    redeem(table, "fiver", "b@email.com", clock)
    with pytest.raises(LimitReached, match=r"\(12\.00 EUR of codes a day\)"):
        redeem(table, "fiver", "c@email.com", clock)  # 15.00 would pass 12.00
    assert counter(table, "fiver", clock().date())["fixed_value"] == Decimal("10.00")
    assert len(sitevibes_codes(table)) == 2


def test_over_the_limit_the_handler_answers_429_in_sitevibes_format(handler, demo_table):
    add(demo_table, "tiny", daily_redemptions=1)
    invoke = handler("SiteVibesFunction")

    def post(email: str) -> dict:
        return invoke(sample_event(ROUTE, {"path_parameters": {"reward": "tiny"}, "headers": {"X-Api-Key": "k"},
                                           "body": {"email": email}}))

    assert post("a@email.com")["statusCode"] == 200
    refused = post("b@email.com")
    assert refused["statusCode"] == 429 and refused["headers"]["Content-Type"] == "application/json"
    assert body(refused) == {"error": {"code": "LIMIT_REACHED", "message": (
        "Reward 'tiny' has reached its daily limit (1 redemption a day); no code was issued. "
        "It resets at midnight UTC, or the brand can raise it")}}


def test_a_limit_changed_elsewhere_applies_within_the_cache_bound(table, clock, monkeypatch):
    """Another process (the admin CLI) lowers the limit: a warm function sees it within 30 s."""
    now = [1000.0]
    monkeypatch.setattr(config_cache, "_clock", lambda: now[0])
    add(table, "moving", daily_redemptions=100)
    redeem(table, "moving", "a@email.com", clock)
    table.client.update_item(TableName=table.name, Key=table.serialize(account_items.key("sitevibes", "moving")),
                             UpdateExpression="SET settings.daily_redemptions = :n",
                             ExpressionAttributeValues={":n": {"N": "1"}})
    assert redeem(table, "moving", "b@email.com", clock).code  # the remembered settings, for now
    now[0] += config_cache.TTL_SECONDS
    with pytest.raises(LimitReached):
        redeem(table, "moving", "c@email.com", clock)


# ---- settings and the admin CLI ------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings, says",
    [
        ({"daily_redemptions": 0}, "greater than or equal to 1"),
        ({"daily_redemptions": MAX_DAILY_REDEMPTIONS + 1}, "less than or equal"),
        ({"daily_value": Decimal("10.00")}, "fixed amount off"),  # a percent reward has no value to count
        ({"discount": FIVE_EUR, "daily_value": Decimal("4.99")}, "below one code's 5.00 EUR"),
        ({"discount": FIVE_EUR, "daily_value": Decimal("100.001")}, "more decimals than EUR"),
        ({"discount": FIVE_EUR, "daily_value": Decimal("1000000000")}, "less than or equal"),
        ({"discount": FIVE_EUR, "daily_value": Decimal("-5")}, "greater than 0"),
    ],
)
def test_limits_that_cannot_work_are_refused(settings, says):
    with pytest.raises(ValidationError, match=says):
        RewardSettings(**{"header_name": "X-Api-Key", "discount": PERCENT, **settings})


def cli(table: Table, *argv: str) -> int:
    return main(["--table", table.name, *argv])


def stored(table: Table, reward: str) -> RewardSettings:
    return RewardSettings.model_validate(account_items.get(table, "sitevibes", reward).settings)


def test_add_sets_the_limits_and_update_changes_them_keeping_the_secret(table, capsys):
    assert cli(table, "rewards", "add", "vip", "--header", "X-Api-Key", "--secret", "s3cret", "--amount", "5.00",
               "--currency", "EUR", "--daily-redemptions", "100", "--daily-value", "250.00") == 0
    assert (stored(table, "vip").daily_redemptions, stored(table, "vip").daily_value) == (100, Decimal("250.00"))
    assert cli(table, "rewards", "update", "vip", "--daily-redemptions", "10") == 0
    assert "daily_limit=10 redemptions and 250.00 EUR" in capsys.readouterr().out
    assert (stored(table, "vip").daily_redemptions, stored(table, "vip").daily_value) == (10, Decimal("250.00"))
    assert cli(table, "rewards", "update", "vip", "--daily-value", "none") == 0
    assert stored(table, "vip").daily_value is None
    assert rewards.open_reward(table, "vip", {"X-Api-Key": "s3cret"}).settings.daily_redemptions == 10


def test_without_flags_a_reward_has_no_daily_limit(table, capsys):
    assert cli(table, "rewards", "add", "open", "--header", "X-Api-Key", "--secret", "k", "--percent", "10") == 0
    assert "no daily limit" in capsys.readouterr().out
    assert (stored(table, "open").daily_redemptions, stored(table, "open").daily_value) == (None, None)


@pytest.mark.parametrize(
    "argv, says",
    [
        (["--percent", "10", "--daily-redemptions", "0"], "greater than or equal to 1"),
        (["--percent", "10", "--daily-redemptions", "lots"], "whole number"),
        (["--percent", "10", "--daily-redemptions", "-3"], "whole number"),
        (["--percent", "10", "--daily-redemptions", str(MAX_DAILY_REDEMPTIONS + 1)], "less than or equal"),
        (["--percent", "10", "--daily-value", "100.00"], "fixed amount off"),
        (["--amount", "5.00", "--currency", "EUR", "--daily-value", "1e3"], "format 1000.00"),
        (["--amount", "5.00", "--currency", "EUR", "--daily-value", "4.00"], "below one code's"),
        (["--amount", "500", "--currency", "JPY", "--daily-value", "1000.50"], "JPY has at most 0"),
        (["--amount", "5.001", "--currency", "EUR"], "EUR has at most 2"),
    ],
)
def test_bad_limits_are_refused_and_nothing_is_saved(table, capsys, argv, says):
    assert cli(table, "rewards", "add", "bad", "--header", "X-Api-Key", "--secret", "k", *argv) == 1
    assert says in capsys.readouterr().err
    assert account_items.get(table, "sitevibes", "bad") is None


@pytest.mark.parametrize(
    "argv, says",
    [
        (["--daily-redemptions", "0"], "greater than or equal to 1"),
        (["--daily-value", "10.00"], "fixed amount off"),
        ([], "Nothing to change"),
    ],
)
def test_bad_updates_are_refused_and_change_nothing(table, capsys, argv, says):
    add(table, "kept", daily_redemptions=7)
    assert cli(table, "rewards", "update", "kept", *argv) == 1
    assert says in capsys.readouterr().err
    assert stored(table, "kept").daily_redemptions == 7


def test_updating_an_unknown_reward_is_refused(table, capsys):
    assert cli(table, "rewards", "update", "ghost", "--daily-redemptions", "5") == 1
    assert "Unknown reward 'ghost'" in capsys.readouterr().err


# ---- races on DynamoDB Local ---------------------------------------------------------------------


@pytest.mark.local_stack
def test_parallel_redemptions_never_exceed_the_daily_limit(local_stack):
    table = local_stack.table
    reward = f"race-{uuid.uuid4().hex[:8]}"
    add(table, reward, daily_redemptions=5)

    def attempt(i: int) -> str:
        try:
            redeem(table, reward, f"shopper-{i}@email.com")
            return "issued"
        except LimitReached:
            return "refused"

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(attempt, range(40)))
    assert outcomes.count("issued") == 5
    assert sum(1 for _ in code_items.list_by_owner(table, "sitevibes", reward)) == 5
    assert counter(table, reward, utcnow().date())["codes"] == 5


@pytest.mark.local_stack
def test_over_http_parallel_redemptions_get_exactly_the_limit_and_429s(local_stack):
    reward = f"race-{uuid.uuid4().hex[:8]}"
    add(local_stack.table, reward, discount=FIVE_EUR, daily_redemptions=100, daily_value=Decimal("15.00"))
    url = f"/sitevibes/rewards/{reward}/coupons"
    with ThreadPoolExecutor(max_workers=16) as pool:
        responses = list(pool.map(lambda i: local_stack.post(url, headers={"X-Api-Key": "k"},
                                                             json={"email": f"s{i}@email.com"}), range(24)))
    assert sorted(r.status_code for r in responses) == [200] * 3 + [429] * 21  # 3 codes of 5.00 EUR
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 429} == {"LIMIT_REACHED"}
    issued = {r.json()["coupon_code"] for r in responses if r.status_code == 200}
    assert {c.code for c in code_items.list_by_owner(local_stack.table, "sitevibes", reward)} == issued


@pytest.mark.local_stack
def test_on_dynamodb_local_a_retry_within_the_window_wins_over_a_spent_day(local_stack):
    """DynamoDB names every failed condition of a cancelled transaction: the claim's (a retry) is
    read first, so a retry is never refused as over the limit."""
    table = local_stack.table
    reward = f"retry-{uuid.uuid4().hex[:8]}"
    add(table, reward, daily_redemptions=1, retry_window_seconds=60)
    first = redeem(table, reward, "a@email.com")
    again = redeem(table, reward, "a@email.com", clock=lambda: utcnow() + timedelta(seconds=1))
    assert (again.code, again.replayed) == (first.code, True)
    with pytest.raises(LimitReached):
        redeem(table, reward, "b@email.com")

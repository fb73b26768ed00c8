"""What a request costs in DynamoDB calls, through the handler (moto): a warm function issues a
code with one transaction, and an unknown reward costs exactly what a wrong header costs."""

from __future__ import annotations

from typing import Any

import pytest

from coupons.core import account_items
from coupons.core import cache as config_cache
from coupons.core.credentials import hash_secret
from coupons.core.table import Table
from localrun.samples import sample_event
from tests.conftest import body, load_event

ROUTE = ("POST", "/sitevibes/rewards/{reward}/coupons", {"reward": "demo"})


class Calls:
    """The DynamoDB operations a client made, in order (botocore's after-call event)."""

    def __init__(self, table: Table):
        self.seen: list[str] = []
        table.client.meta.events.register("after-call.dynamodb", self._after_call)

    def _after_call(self, model: Any, **_: Any) -> None:
        self.seen.append(model.name)

    def of(self, action) -> tuple[Any, list[str]]:
        self.seen = []
        result = action()
        return result, list(self.seen)


def post(reward: str = "demo", headers: dict | None = None, email: str = "john.smith@email.com") -> dict:
    return sample_event(ROUTE, {"path_parameters": {"reward": reward},
                                "headers": {"X-Api-Key": "demo-key"} if headers is None else headers,
                                "body": {"email": email}})


@pytest.fixture
def sitevibes(handler, demo_table):
    invoke = handler("SiteVibesFunction")
    return invoke, Calls(demo_table)


def test_a_warm_function_issues_a_code_with_one_transaction(sitevibes):
    invoke, calls = sitevibes
    first, cold = calls.of(lambda: invoke(post()))
    second, warm = calls.of(lambda: invoke(post(email="jane@email.com")))
    assert (first["statusCode"], second["statusCode"]) == (200, 200)
    assert cold == ["GetItem", "TransactWriteItems"]  # the first request of an instance reads the reward
    assert warm == ["TransactWriteItems"]  # claim + code + the day's counter, nothing else


def test_a_warm_retry_within_the_window_is_one_call_and_the_same_code(sitevibes):
    invoke, calls = sitevibes
    first = body(invoke(post("demo-window")))["coupon_code"]
    again, seen = calls.of(lambda: invoke(post("demo-window")))
    assert body(again) == {"coupon_code": first}
    assert seen == ["TransactWriteItems"]  # cancelled by the claim's condition, which hands the claim back


def test_a_warm_reward_without_a_code_is_one_call(sitevibes):
    invoke, calls = sitevibes
    invoke(post("demo-nocode"))
    response, seen = calls.of(lambda: invoke(post("demo-nocode")))
    assert (body(response), seen) == ({"coupon_code": ""}, ["TransactWriteItems"])


def test_a_bad_body_from_a_caller_with_the_secret_costs_no_call_when_warm(sitevibes):
    invoke, calls = sitevibes
    invoke(post())
    response, seen = calls.of(lambda: invoke(post(email="not-an-email")))
    assert (response["statusCode"], seen) == (400, [])


REFUSED = {
    "unknown reward": lambda: post("nope"),
    "wrong secret": lambda: post(headers={"X-Api-Key": "not-the-key"}),
    "no header": lambda: post(headers={}),
    "secret in another header": lambda: post(headers={"Authorization": "demo-key"}),
    "the sample: unknown reward": lambda: load_event("sitevibes", "unknown-reward"),
    "the sample: wrong key": lambda: load_event("sitevibes", "wrong-key"),
}


@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
def test_an_unknown_reward_is_answered_like_a_wrong_header_at_the_same_cost(sitevibes, warm):
    invoke, calls = sitevibes
    answers = {}
    for case, event in REFUSED.items():
        config_cache.clear()
        if warm:
            invoke(post(email="warm@email.com"))  # reward demo is now remembered
        response, seen = calls.of(lambda event=event: invoke(event()))
        answers[case] = (response["statusCode"], response["headers"]["Content-Type"], response["body"], seen)
    assert len(set(map(str, answers.values()))) == 1, answers
    status, _, _, seen = answers["unknown reward"]
    assert (status, seen) == (401, ["GetItem"])


def test_a_secret_rotated_elsewhere_works_at_once_and_the_old_one_at_most_the_cache_bound(sitevibes, demo_table,
                                                                                         monkeypatch):
    """Another process (the admin CLI elsewhere) rotates the secret without a grace."""
    invoke, _ = sitevibes
    now = [1000.0]
    monkeypatch.setattr(config_cache, "_clock", lambda: now[0])

    def rotate(secret: str) -> None:
        demo_table.client.update_item(
            TableName=demo_table.name, Key=demo_table.serialize(account_items.key("sitevibes", "demo")),
            UpdateExpression="SET secret_hash = :h", ExpressionAttributeValues={":h": {"S": hash_secret(secret)}})

    def status(secret: str) -> int:
        return invoke(post(headers={"X-Api-Key": secret}))["statusCode"]

    assert status("demo-key") == 200  # reward demo remembered
    rotate("second-key")
    assert status("demo-key") == 200  # the remembered secret, for at most TTL_SECONDS
    now[0] += config_cache.TTL_SECONDS
    assert (status("demo-key"), status("second-key")) == (401, 200)
    rotate("third-key")
    assert status("third-key") == 200  # a refusal reads the reward again: the new secret works at once
    assert status("second-key") == 401

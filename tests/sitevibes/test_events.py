"""The handler invoked with each events/sitevibes/*.json, as `sam local invoke -e` does."""

import re

import pytest

from coupons.core import code_items
from coupons.core.observability import masked
from coupons.sitevibes import items as claim_items
from coupons.sitevibes.rewards import NOT_OPENED
from tests.conftest import body, event_names, load_event

CONTRACT = "sitevibes"
JSON_HINT = 'send JSON like {"email": "john.smith@email.com"}'
REFUSALS = {
    "bad-email": (400, "INVALID_EMAIL", "'john.smith' is not an email address"),
    "missing-email": (400, "INVALID_EMAIL", f"The email is missing; {JSON_HINT}"),
    "body-not-json": (400, "INVALID_JSON", f"The request body is not valid JSON; {JSON_HINT}"),
    # One answer for the three, so that reward ids cannot be probed without the secret.
    "wrong-key": (401, "UNAUTHORIZED", NOT_OPENED),
    "missing-key": (401, "UNAUTHORIZED", NOT_OPENED),
    "unknown-reward": (401, "UNAUTHORIZED", NOT_OPENED),
}


def test_every_sample_event_has_an_expectation():
    assert set(event_names(CONTRACT)) == set(REFUSALS) | {"coupon", "no-code-reward"}


def test_coupon_creates_a_stored_code_and_the_same_request_again_a_new_one(handler, demo_table):
    invoke = handler("SiteVibesFunction")
    first = invoke(load_event(CONTRACT, "coupon"))
    again = invoke(load_event(CONTRACT, "coupon"))  # reward demo has no retry window (the default)
    assert (first["statusCode"], again["statusCode"]) == (200, 200)
    assert first["headers"]["Content-Type"] == "application/json"
    code = body(first)["coupon_code"]
    assert re.fullmatch(r"SV[A-Z2-9]{8}", code) and re.fullmatch(r"SV[A-Z2-9]{8}", body(again)["coupon_code"])
    assert body(again)["coupon_code"] != code
    stored = code_items.get(demo_table, code)
    assert (stored.owner.partner, stored.owner.account, stored.owner.person) == (
        "sitevibes", "demo", "john.smith@email.com")


def test_no_code_reward_answers_an_empty_code_and_records_it(handler, demo_table):
    response = handler("SiteVibesFunction")(load_event(CONTRACT, "no-code-reward"))
    assert (response["statusCode"], body(response)) == (200, {"coupon_code": ""})
    assert [r["person"] for r in claim_items.list_codeless(demo_table, "demo-nocode")] == ["john.smith@email.com"]


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_refusal(handler, demo_table, name):
    response = handler("SiteVibesFunction")(load_event(CONTRACT, name))
    status, code, message = REFUSALS[name]
    assert (response["statusCode"], body(response)) == (status, {"error": {"code": code, "message": message}})
    assert response["headers"]["Content-Type"] == "application/json"
    assert list(code_items.list_by_owner(demo_table, "sitevibes", "demo")) == []


def test_the_issued_code_and_the_email_stay_out_of_the_logs(handler, demo_table, logged):
    """A SiteVibes code is a shopper's discount: the log line carries its hash, as support needs."""
    response = handler("SiteVibesFunction")(load_event(CONTRACT, "coupon"))
    code, lines = body(response)["coupon_code"], logged.getvalue()
    assert '"reward redeemed"' in lines and masked(code) in lines
    assert code not in lines and "john.smith@email.com" not in lines

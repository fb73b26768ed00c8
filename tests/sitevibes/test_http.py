"""SiteVibes over HTTP against the local stack (DynamoDB Local), as SiteVibes would call it."""

import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from coupons.core import code_items
from coupons.core.models import DiscountKind
from coupons.sitevibes import items as claim_items
from tests.sitevibes.conftest import stored_claim

pytestmark = pytest.mark.local_stack

URL = "/sitevibes/rewards/demo/coupons"
KEY = {"X-Api-Key": "demo-key"}


def shopper() -> str:
    """A fresh email per test: the stack (and its retry windows) lives for the whole session."""
    return f"shopper-{uuid.uuid4().hex[:12]}@email.com"


def test_the_readme_curl_gives_a_stored_single_use_code(local_stack):
    email = shopper()
    response = local_stack.post(URL, headers={**KEY, "content-type": "application/json"}, data=f'{{"email":"{email}"}}')
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    code = response.json()["coupon_code"]
    assert re.fullmatch(r"SV[A-HJ-NP-Z2-9]{8}", code)
    stored = code_items.get(local_stack.table, code, consistent=True)
    assert (stored.discount.kind, stored.discount.value, stored.max_uses) == (DiscountKind.PERCENT, 10, 1)
    assert (stored.owner.partner, stored.owner.account, stored.owner.person) == ("sitevibes", "demo", email)


def test_with_the_retry_window_the_same_email_again_gets_the_same_code_and_another_email_a_new_one(local_stack):
    url = "/sitevibes/rewards/demo-window/coupons"
    email = shopper()
    first = local_stack.post(url, headers=KEY, json={"email": email}).json()["coupon_code"]
    again = local_stack.post(url, headers={"x-API-key": "demo-key"}, json={"email": email.upper()})
    other = local_stack.post(url, headers=KEY, json={"email": shopper()}).json()["coupon_code"]
    assert again.status_code == 200 and again.json() == {"coupon_code": first}
    assert other != first
    issued_to_email = [r.code for r in code_items.list_by_owner(local_stack.table, "sitevibes", "demo-window")
                       if r.owner.person == email]
    assert issued_to_email == [first]


def test_by_default_the_same_email_twice_gets_two_codes_sitevibes_will_accept(local_stack):
    # SiteVibes refuses a code it has seen; reward demo has no retry window, so each request is new.
    email = shopper()
    got = [local_stack.post(URL, headers=KEY, json={"email": email}).json()["coupon_code"] for _ in range(2)]
    assert got[0] != got[1]
    assert stored_claim(local_stack.table, "demo", email).code == got[1]


def test_a_reward_without_a_code(local_stack):
    email = shopper()
    response = local_stack.post("/sitevibes/rewards/demo-nocode/coupons", headers=KEY, json={"email": email})
    assert (response.status_code, response.json()) == (200, {"coupon_code": ""})
    assert email in [r["person"] for r in claim_items.list_codeless(local_stack.table, "demo-nocode")]


def test_json_is_read_whatever_the_content_type_says(local_stack):
    # curl -d without -H content-type sends application/x-www-form-urlencoded.
    response = local_stack.post(URL, headers={**KEY, "content-type": "application/x-www-form-urlencoded"},
                                data=f'{{"email": "{shopper()}"}}')
    assert response.status_code == 200 and response.json()["coupon_code"].startswith("SV")


@pytest.mark.parametrize(
    "path, headers, data, status, code",
    [
        (URL, {"X-Api-Key": "wrong"}, '{"email": "x@email.com"}', 401, "UNAUTHORIZED"),
        (URL, {}, '{"email": "x@email.com"}', 401, "UNAUTHORIZED"),
        (URL, {"Authorization": "Bearer demo-key"}, '{"email": "x@email.com"}', 401, "UNAUTHORIZED"),
        ("/sitevibes/rewards/nope/coupons", KEY, '{"email": "x@email.com"}', 401, "UNAUTHORIZED"),
        (URL, KEY, '{"email": "x"}', 400, "INVALID_EMAIL"),
        (URL, KEY, '{"mail": "x@email.com"}', 400, "INVALID_EMAIL"),
        (URL, KEY, "email=x@email.com", 400, "INVALID_JSON"),
        (URL, KEY, b'{"email": "\xff@email.com"}', 400, "INVALID_JSON"),
        (URL, KEY, None, 400, "INVALID_JSON"),
        (URL, KEY, "[]", 400, "INVALID_REQUEST"),
    ],
)
def test_refusals_keep_one_shape(local_stack, path, headers, data, status, code):
    response = local_stack.post(path, headers=headers, data=data)
    assert response.status_code == status
    answer = response.json()
    assert set(answer) == {"error"} and answer["error"]["code"] == code and answer["error"]["message"]


def test_an_unknown_reward_is_answered_exactly_like_a_wrong_or_missing_header(local_stack):
    """Nothing in the answer tells a configured reward from an unknown one without its secret."""
    email = '{"email": "x@email.com"}'
    answers = [
        local_stack.post("/sitevibes/rewards/nope/coupons", headers=KEY, data=email),
        local_stack.post("/sitevibes/rewards/nope/coupons", headers={}, data=email),
        local_stack.post(URL, headers={"X-Api-Key": "wrong"}, data=email),
        local_stack.post(URL, headers={}, data=email),
    ]
    assert {(r.status_code, r.headers["content-type"], r.content) for r in answers} == {
        (401, "application/json", answers[0].content)}
    assert answers[0].json()["error"]["code"] == "UNAUTHORIZED"


def test_a_get_is_not_a_route(local_stack):
    assert local_stack.get(URL, headers=KEY).status_code == 404


def test_a_hundred_parallel_shoppers_get_a_hundred_distinct_stored_codes(local_stack):
    emails = [shopper() for _ in range(100)]
    with ThreadPoolExecutor(max_workers=25) as pool:
        responses = list(pool.map(lambda e: local_stack.post(URL, headers=KEY, json={"email": e}), emails))
    assert [r.status_code for r in responses] == [200] * 100
    codes = [r.json()["coupon_code"] for r in responses]
    assert len(set(codes)) == 100
    for email, code in zip(emails, codes, strict=True):
        assert code_items.get(local_stack.table, code, consistent=True).owner.person == email


def test_with_a_window_parallel_retries_of_one_redemption_all_get_the_one_code(local_stack):
    email = shopper()
    url = "/sitevibes/rewards/demo-window/coupons"
    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(lambda _: local_stack.post(url, headers=KEY, json={"email": email}), range(20)))
    assert [r.status_code for r in responses] == [200] * 20
    assert len({r.json()["coupon_code"] for r in responses}) == 1
    issued = [r.code for r in code_items.list_by_owner(local_stack.table, "sitevibes", "demo-window")
              if r.owner.person == email]
    assert issued == [responses[0].json()["coupon_code"]]

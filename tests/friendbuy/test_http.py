"""Friendbuy over HTTP against the local stack (DynamoDB Local), as a partner would call it."""

import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from coupons.core import code_items
from coupons.core.errors import Unavailable
from coupons.core.models import Discount, DiscountKind
from coupons.friendbuy import banks, campaigns, referrals
from coupons.friendbuy.banks import BankSettings
from coupons.friendbuy.referrals import Advocate, ReferralRequest
from coupons_admin import bank_loading
from localrun.demo import friendbuy as demo

pytestmark = pytest.mark.local_stack

V1 = "/friendbuy/v1"
BASIC = {"authorization": demo.BASIC}


def advocate_body(customer: str, bank: str = demo.BANK, **extra) -> dict:
    return {"campaign": {"id": 53345}, "customer": {"id": customer, "email": f"{customer.lower()}@example.com"},
            "coupon_bank_id": {"id": bank}, **extra}


def new_bank(table, count: int, shards: int = 16) -> str:
    bank = banks.add_bank(table, f"R{uuid.uuid4().hex[:8]}", BankSettings(
        campaign_id=demo.CAMPAIGN, discount=Discount(kind=DiscountKind.PERCENT, value=Decimal(10)), shards=shards,
        prefix="R" + uuid.uuid4().hex[:3].upper(), length=8))
    assert bank_loading.generate(table, bank, count).added == count
    return bank.id


def test_token_flow_two_advocates_purchase_and_lookup(local_stack):
    """The demo walk-through: a token, codes for two advocates, a purchase with one code, the lookup."""
    auth = local_stack.post(f"{V1}/authorization", json={"key": "demo-key", "secret": "demo-secret"})
    assert auth.status_code == 200 and auth.json()["tokenType"] == "Bearer"
    bearer = {"authorization": f"Bearer {auth.json()['token']}"}
    tag = uuid.uuid4().hex[:6]
    one = local_stack.post(f"{V1}/referral_codes", json=advocate_body(f"A{tag}"), headers=bearer)
    two = local_stack.post(f"{V1}/referral_codes", json=advocate_body(f"B{tag}"), headers=bearer)
    assert (one.status_code, two.status_code) == (201, 201)
    assert one.json()["coupon_code"] != two.json()["coupon_code"]

    order = {"orderId": f"O-{tag}", "customerId": "F1", "amount": 59.9, "currency": "USD",
             "couponCode": one.json()["coupon_code"].lower()}
    bought = local_stack.post(f"{V1}/event/purchase", json=order, headers=bearer)
    assert bought.status_code == 201
    assert bought.json()["attribution"]["referralCode"] == one.json()["referral_code"]

    found = local_stack.get(f"{V1}/referral_codes", params={"customerId": f"A{tag}"}, headers=bearer).json()
    assert found["count"] == 1
    assert (found["results"][0]["conversions"], found["results"][0]["revenue"]) == (1, {"USD": "59.90"})
    by_code = local_stack.get(f"{V1}/referral_codes/{two.json()['referral_code']}", headers=BASIC).json()
    assert (by_code["customer"]["id"], by_code["conversions"]) == (f"B{tag}", 0)


@pytest.mark.parametrize("headers, body, status", [
    ({}, {"key": "demo-key", "secret": "wrong"}, 401),
    ({}, {"key": "demo-key"}, 422),
    ({"content-type": "application/json"}, "not json", 400),
])
def test_authorization_refusals(local_stack, headers, body, status):
    kwargs = {"json": body} if isinstance(body, dict) else {"data": body}
    response = local_stack.post(f"{V1}/authorization", headers=headers, **kwargs)
    assert response.status_code == status and response.json()["code"] == status


def test_unknown_token_and_unauthenticated_bad_body_are_401(local_stack):
    assert local_stack.post(f"{V1}/referral_codes", json=advocate_body("X1"),
                            headers={"authorization": "Bearer nope"}).status_code == 401
    assert local_stack.post(f"{V1}/event/purchase", json={"orderId": 1}).status_code == 401


def test_a_thousand_parallel_advocates_get_a_thousand_different_codes(local_stack):
    bank = new_bank(local_stack.table, 1_000)
    tag = uuid.uuid4().hex[:6]

    def ask(i: int):
        response = local_stack.post(f"{V1}/referral_codes", json=advocate_body(f"R{tag}-{i}", bank), headers=BASIC)
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=64) as pool:
        answers = list(pool.map(ask, range(1_000)))
    assert Counter(status for status, _ in answers) == {201: 1_000}
    given = [a["coupon_code"] for _, a in answers]
    assert len(set(given)) == 1_000  # never one code to two advocates
    assert len({a["referral_code"] for _, a in answers}) == 1_000
    for _, answer in answers[:25]:  # each code records its advocate
        assert code_items.get(local_stack.table, answer["coupon_code"]).owner.person == answer["customer"]["id"]
    late = local_stack.post(f"{V1}/referral_codes", json=advocate_body(f"late{tag}", bank), headers=BASIC)
    assert late.status_code == 409 and "no codes left" in late.json()["message"]


def test_contended_pool_in_one_shard_never_gives_a_code_twice(local_stack):
    """Many takers on one partition, straight through the domain: conflicts happen and are retried."""
    table = local_stack.table
    bank = new_bank(table, 150, shards=1)
    caller = campaigns.Caller(demo.KEY, frozenset({demo.CAMPAIGN}))
    tag = uuid.uuid4().hex[:6]

    def take(i: int) -> str:
        request = ReferralRequest(campaign_id=demo.CAMPAIGN, advocate=Advocate(customer_id=f"K{tag}{i}", email="k@x.io"),
                                  bank_id=bank)
        for _ in range(5):  # what a partner does with a 429: send the same request again
            try:
                return referrals.refer(table, caller, request).referral.coupon_code
            except Unavailable:
                busy.append(i)
        raise AssertionError("still busy after 5 tries")

    busy: list[int] = []

    with ThreadPoolExecutor(max_workers=32) as pool:
        given = list(pool.map(take, range(150)))
    assert len(set(given)) == 150 and banks.status(table, bank).free == 0
    assert len(busy) < 30  # the fight for the last few codes is rare, and it ends


def test_same_advocate_in_parallel_gets_one_code(local_stack):
    body = advocate_body(f"SAME{uuid.uuid4().hex[:6]}")
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda _: local_stack.post(f"{V1}/referral_codes", json=body, headers=BASIC), range(20)))
    assert sorted(a.status_code for a in answers)[-1] == 201 and {a.status_code for a in answers} <= {200, 201}
    assert [a.status_code for a in answers].count(201) == 1
    assert len({(a.json()["coupon_code"], a.json()["referral_code"]) for a in answers}) == 1


def test_use_case_two_named_code_in_other_case(local_stack):
    table = local_stack.table
    code = f"INF{uuid.uuid4().hex[:6].upper()}"
    bank_loading.upload(table, banks.get_bank(table, demo.INFLUENCER_BANK), [code])
    body = {"campaign": {"id": 53345}, "customer": {"id": f"I{code}", "email": "inf@example.com"}, "coupon_code": code.lower()}
    given = local_stack.post(f"{V1}/referral_codes", json=body, headers=BASIC)
    assert given.status_code == 201 and given.json()["coupon_code"] == code
    rival = {**body, "customer": {"id": "someone-else", "email": "else@example.com"}}
    refused = local_stack.post(f"{V1}/referral_codes", json=rival, headers=BASIC)
    assert refused.status_code == 409 and "another advocate" in refused.json()["message"]


def test_same_order_in_parallel_is_recorded_once(local_stack):
    tag = uuid.uuid4().hex[:6]
    referral = local_stack.post(f"{V1}/referral_codes", json=advocate_body(f"P{tag}"), headers=BASIC).json()
    order = {"orderId": f"O-{tag}", "customerId": "F1", "amount": 20, "currency": "EUR", "couponCode": referral["coupon_code"]}
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda _: local_stack.post(f"{V1}/event/purchase", json=order, headers=BASIC), range(10)))
    assert {a.status_code for a in answers} == {201} and len({a.json()["eventId"] for a in answers}) == 1
    found = local_stack.get(f"{V1}/referral_codes/{referral['referral_code']}", headers=BASIC).json()
    assert (found["conversions"], found["revenue"]) == (1, {"EUR": "20.00"})


def test_many_purchases_of_one_advocate_in_parallel_all_count(local_stack):
    tag = uuid.uuid4().hex[:6]
    referral = local_stack.post(f"{V1}/referral_codes", json=advocate_body(f"M{tag}"), headers=BASIC).json()

    def buy(i: int) -> int:
        order = {"orderId": f"M-{tag}-{i}", "customerId": f"F{i}", "amount": 10, "currency": "USD",
                 "couponCode": referral["coupon_code"]}
        return local_stack.post(f"{V1}/event/purchase", json=order, headers=BASIC).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(buy, range(24)))
    assert statuses == [201] * 24
    found = local_stack.get(f"{V1}/referral_codes/{referral['referral_code']}", headers=BASIC).json()
    assert (found["conversions"], found["revenue"]) == (24, {"USD": "240.00"})


def test_unknown_code_purchase_is_recorded_and_says_so(local_stack):
    order = {"orderId": f"U-{uuid.uuid4().hex[:6]}", "customerId": "F1", "amount": 5, "currency": "USD", "couponCode": "NOPE123"}
    answer = local_stack.post(f"{V1}/event/purchase", json=order, headers=BASIC)
    assert answer.status_code == 201 and answer.json()["attribution"] == {
        "status": "unattributed", "reason": "Coupon code NOPE123 is unknown"}

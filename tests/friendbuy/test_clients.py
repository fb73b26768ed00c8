"""Friendbuy over HTTP (local stack) as real clients call it: Segment's Friendbuy destination
(bare token, its test bodies), Friendbuy's documented examples, the older REST API's purchase;
one campaign's key against another's order ids; erasure proven by scanning the whole table.

Fixtures: tests/friendbuy/fixtures/*.json, each with the public source it was copied from."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from coupons.core import code_items
from coupons.core.models import CodeRecord, Discount, DiscountKind, Owner
from coupons.friendbuy import banks, campaigns
from coupons.friendbuy.banks import BankSettings
from coupons.friendbuy.campaigns import CampaignSettings
from coupons_admin import bank_loading
from localrun.demo import friendbuy as demo
from tests.friendbuy.conftest import basic

pytestmark = pytest.mark.local_stack

V1 = "/friendbuy/v1"
FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())["body"]


def token(local_stack, key: str = demo.KEY, secret: str = demo.SECRET) -> str:
    answer = local_stack.post(f"{V1}/authorization", json={"key": key, "secret": secret})
    assert answer.status_code == 200
    return answer.json()["token"]


def bare(local_stack, **credentials: str) -> dict:
    """The header Segment's destination sends: the token alone, no "Bearer"."""
    return {"authorization": token(local_stack, **credentials)}


def unique(body: dict, **fields) -> dict:
    return {**body, **fields}


@pytest.mark.parametrize("route, name, status", [
    ("event/purchase", "segment-purchase-all-fields", 201),
    ("event/purchase", "segment-purchase-minimal", 201),
    ("event/account-sign-up", "segment-sign-up-all-fields", 201),
    ("customer", "segment-customer-all-fields", 201),
    ("event/custom", "segment-custom-event", 201),
    ("event/account-sign-up", "docs-sign-up", 201),
    ("customer", "docs-customer", 201),
    ("event/custom", "docs-custom-event", 201),
])
def test_segment_and_documented_bodies_with_the_bare_token(local_stack, route, name, status):
    headers = bare(local_stack)
    body = fixture(name)
    first = local_stack.post(f"{V1}/{route}", json=body, headers=headers)
    assert first.status_code == status, first.text
    assert {"eventId", "createdOn"} <= set(first.json())
    if "attribution" in first.json():  # made-up codes: recorded, unattributed, with the reason
        assert first.json()["attribution"]["status"] == "unattributed" and first.json()["attribution"]["reason"]
    # The same event with "Bearer" and with HTTP Basic: the same record, recorded once.
    for header in (f"Bearer {headers['authorization']}", demo.BASIC):
        again = local_stack.post(f"{V1}/{route}", json=body, headers={"authorization": header})
        assert again.status_code in (200, 201) and again.json()["eventId"] == first.json()["eventId"]


def test_documented_purchase_example_is_refused_for_its_placeholder_currency_then_taken(local_stack):
    headers = bare(local_stack)
    example = fixture("docs-purchase")
    refused = local_stack.post(f"{V1}/event/purchase", json=example, headers=headers)
    assert refused.status_code == 422 and "currency" in refused.json()["message"]
    assert set(refused.json()) == {"error", "message", "code", "reference"} and refused.json()["reference"]
    taken = local_stack.post(f"{V1}/event/purchase", json={**example, "currency": "USD",
                                                           "orderId": f"DOC-{uuid.uuid4().hex[:6]}"}, headers=headers)
    assert taken.status_code == 201


@pytest.mark.parametrize("header", [None, "", "Token abc", "Bearer", "Basic !!!", "two words"])
def test_anything_but_the_three_credential_forms_is_401_in_friendbuys_error_body(local_stack, header):
    headers = {"authorization": header} if header is not None else {}
    for method, path in (("post", "event/purchase"), ("post", "personal-referral-link"), ("delete", "user-data?email=a@b.co")):
        answer = requests.request(method, f"{local_stack.url}{V1}/{path}", json={}, headers=headers, timeout=30)
        assert answer.status_code == 401
        assert set(answer.json()) == {"error", "message", "code", "reference"} and answer.json()["reference"]


def test_personal_referral_link_documented_example_and_the_demo_campaign(local_stack):
    headers = bare(local_stack)
    documented = fixture("docs-personal-referral-link")
    assert local_stack.post(f"{V1}/personal-referral-link", json=documented, headers=headers).status_code == 404
    ours = {**documented, "campaignId": demo.CAMPAIGN, "customerId": f"PRL-{uuid.uuid4().hex[:6]}",
            "destinationUrlQueryParams": {"utm_campaign": "spring"}}
    made = local_stack.post(f"{V1}/personal-referral-link", json=ours, headers=headers)
    again = local_stack.post(f"{V1}/personal-referral-link", json=ours, headers=headers)
    assert (made.status_code, again.status_code) == (201, 200) and made.json() == again.json()
    link = made.json()["link"]
    assert link.startswith(demo.REFERRAL_URL + "?utm_campaign=spring&referralCode=" + made.json()["referralCode"])
    # The older API gives the same advocate the same referral code, now with a code from the bank.
    older = local_stack.post(f"{V1}/referral_codes", headers=headers, json={
        "campaign": {"id": 53345}, "customer": {"id": ours["customerId"], "email": ours["email"]},
        "coupon_bank_id": {"id": demo.BANK}})
    assert older.status_code == 201 and older.json()["referral_code"] == made.json()["referralCode"]
    # A purchase naming the link's attributionId is credited to that advocate.
    attribution_id = link.rsplit("attributionId=", 1)[1]
    bought = local_stack.post(f"{V1}/event/purchase", headers=headers, json={
        "orderId": f"ATT-{uuid.uuid4().hex[:6]}", "customerId": "F1", "amount": 30, "currency": "USD",
        "attributionId": attribution_id, "referralCode": "someone-else"})
    assert bought.json()["attribution"]["by"] == "attributionId"
    assert bought.json()["attribution"]["referralCode"] == made.json()["referralCode"]
    inactive = {**ours, "campaignId": "11111"}
    assert local_stack.post(f"{V1}/personal-referral-link", json=inactive, headers=headers).status_code == 404
    assert local_stack.post(f"{V1}/personal-referral-link", json={**ours, "email": "nope"}, headers=headers).status_code == 422


def _campaign_with_code(table, tag: str) -> tuple[str, str, str, str]:
    """A campaign of its own (key, secret), a bank with one code; returns (campaign, key, secret, code)."""
    campaign, key, secret = f"C{tag}", f"key-{tag}", f"secret-{tag}"
    campaigns.add_campaign(table, campaign, secret, CampaignSettings(access_key=key))
    bank = banks.add_bank(table, f"B{tag}", BankSettings(
        campaign_id=campaign, discount=Discount(kind=DiscountKind.PERCENT, value=Decimal(10)), shards=1))
    code = f"ISO{tag}".upper()
    assert bank_loading.upload(table, bank, [code]).added == 1
    return campaign, key, secret, code


def test_one_campaigns_key_can_neither_read_nor_shadow_anothers_order_ids(local_stack):
    tag = uuid.uuid4().hex[:6]
    _, key_a, secret_a, _ = _campaign_with_code(local_stack.table, tag + "a")
    b, key_b, secret_b, code_b = _campaign_with_code(local_stack.table, tag + "b")
    as_a, as_b = {"authorization": basic(key_a, secret_a)}, {"authorization": basic(key_b, secret_b)}
    referral_b = local_stack.post(f"{V1}/referral_codes", headers=as_b, json={
        "campaign": {"id": b}, "customer": {"id": "ADV-B", "email": "b@example.com"}, "coupon_bank_id": {"id": f"B{tag}b"}}).json()
    order = {"orderId": f"SHARED-{tag}", "customerId": "F1", "amount": 40, "currency": "EUR"}

    # A posts the order id first, naming B's code: not A's to credit, and it takes nothing from B.
    first_a = local_stack.post(f"{V1}/event/purchase", headers=as_a, json={**order, "couponCode": code_b}).json()
    assert first_a["attribution"] == {"status": "unattributed",
                                      "reason": f"Coupon code {code_b} belongs to a campaign this key does not open"}
    # B's purchase of the same order id is B's own, credited to B's advocate.
    b_bought = local_stack.post(f"{V1}/event/purchase", headers=as_b, json={**order, "couponCode": code_b}).json()
    assert b_bought["eventId"] != first_a["eventId"] and b_bought["attribution"]["referralCode"] == referral_b["referral_code"]
    # A re-posting the order id reads its own record back, never B's referral or coupon code.
    again_a = local_stack.post(f"{V1}/event/purchase", headers=as_a, json=order).json()
    assert again_a["eventId"] == first_a["eventId"] and referral_b["referral_code"] not in json.dumps(again_a)
    assert local_stack.post(f"{V1}/event/purchase", headers=as_b, json=order).json()["eventId"] == b_bought["eventId"]
    # Through the older REST API, the order is the same purchase of the same campaign.
    legacy = {"order": {"id": order["orderId"], "amount": 40, "currency": "EUR"}, "coupon_code": code_b}
    assert local_stack.post(f"{V1}/purchases", headers=as_b, json=legacy).json()["eventId"] == b_bought["eventId"]
    found = local_stack.get(f"{V1}/referral_codes/{referral_b['referral_code']}", headers=as_b).json()
    assert (found["conversions"], found["revenue"]) == (1, {"EUR": "40.00"})
    assert local_stack.get(f"{V1}/referral_codes/{referral_b['referral_code']}", headers=as_a).status_code == 404


def test_legacy_purchase_credits_by_coupon_code_first(local_stack):
    tag = uuid.uuid4().hex[:6]
    one = local_stack.post(f"{V1}/referral_codes", headers={"authorization": demo.BASIC}, json={
        "campaign": {"id": 53345}, "customer": {"id": f"L1{tag}", "email": "l1@example.com"}, "coupon_bank_id": {"id": demo.BANK}}).json()
    two = local_stack.post(f"{V1}/referral_codes", headers={"authorization": demo.BASIC}, json={
        "campaign": {"id": 53345}, "customer": {"id": f"L2{tag}", "email": "l2@example.com"}, "coupon_bank_id": {"id": demo.BANK}}).json()
    body = fixture("legacy-purchase")
    body = {**body, "order": {**body["order"], "id": f"281-{tag}"}, "coupon_code": one["coupon_code"].lower(),
            "referral_code": two["referral_code"]}
    answer = local_stack.post(f"{V1}/purchases", headers={"authorization": demo.BASIC}, json=body)
    assert answer.status_code == 201
    assert answer.json()["attribution"]["by"] == "couponCode" and answer.json()["attribution"]["referralCode"] == one["referral_code"]
    assert local_stack.post(f"{V1}/purchases", headers={"authorization": demo.BASIC}, json={"order": {}}).status_code == 422


def test_hyphenated_codes_are_one_code_in_any_case_and_another_without_hyphens(local_stack):
    table = local_stack.table
    code = f"FRIEND-OFFER-{uuid.uuid4().hex[:6].upper()}"
    code_items.create(table, CodeRecord(code=code, discount=Discount(kind=DiscountKind.PERCENT, value=Decimal(10)),
                                        owner=Owner(partner="friendbuy", account=demo.CAMPAIGN)))
    given = local_stack.post(f"{V1}/referral_codes", headers={"authorization": demo.BASIC}, json={
        "campaign": {"id": 53345}, "customer": {"id": f"H{code}", "email": "h@example.com"}, "coupon_code": code.lower()})
    assert given.status_code == 201 and given.json()["coupon_code"] == code
    order = {"customerId": "F1", "amount": 10, "currency": "USD"}
    hit = local_stack.post(f"{V1}/event/purchase", headers={"authorization": demo.BASIC},
                           json={**order, "orderId": f"H1-{code}", "couponCode": code.lower()}).json()
    miss = local_stack.post(f"{V1}/event/purchase", headers={"authorization": demo.BASIC},
                            json={**order, "orderId": f"H2-{code}", "couponCode": code.replace("-", "")}).json()
    assert hit["attribution"]["couponCode"] == code and miss["attribution"]["status"] == "unattributed"


def test_erasure_leaves_the_email_nowhere_in_the_table_and_keeps_the_money(local_stack):
    tag = uuid.uuid4().hex[:8]
    email = f"erase.me.{tag}@example.com"
    headers = bare(local_stack)
    referral = local_stack.post(f"{V1}/referral_codes", headers=headers, json={
        "campaign": {"id": 53345}, "customer": {"id": f"E{tag}", "first_name": "Erin", "last_name": "Rase", "email": email},
        "coupon_bank_id": {"id": demo.BANK}}).json()
    link = local_stack.post(f"{V1}/personal-referral-link", headers=headers,
                            json={"email": email.upper(), "campaignId": demo.CAMPAIGN}).json()  # an email-only advocate
    local_stack.post(f"{V1}/event/purchase", headers=headers, json={
        "orderId": f"E-{tag}", "customerId": f"E{tag}", "email": email, "firstName": "Erin", "amount": 12.5,
        "currency": "USD", "couponCode": referral["coupon_code"], "ipAddress": "203.0.113.9", "userAgent": "UA-erase"})
    local_stack.post(f"{V1}/event/account-sign-up", headers=headers, json={"email": email, "customerId": f"S{tag}",
                                                                          "referralCode": link["referralCode"]})
    local_stack.post(f"{V1}/event/custom", headers=headers, json={"eventType": "quiz", "email": email,
                                                                  "deduplicationId": email})
    local_stack.post(f"{V1}/customer", headers=headers, json={"email": email, "customerId": f"S{tag}", "city": "Oslo"})

    def holding_the_email() -> list[dict]:
        items, kwargs = [], {}
        while True:
            page = local_stack.table.client.scan(TableName=local_stack.table.name, **kwargs)
            items += [i for i in page["Items"] if email in json.dumps(i).lower()]
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    assert len(holding_the_email()) >= 6
    assert requests.delete(f"{local_stack.url}{V1}/user-data", params={"email": email}, timeout=30).status_code == 401
    erased = requests.delete(f"{local_stack.url}{V1}/user-data", params={"email": email}, headers=headers, timeout=30)
    assert erased.status_code == 200 and erased.json()["scrubbed"] >= 6
    assert holding_the_email() == []
    assert "UA-erase" not in json.dumps(local_stack.table.client.scan(TableName=local_stack.table.name)["Items"])
    found = local_stack.get(f"{V1}/referral_codes/{referral['referral_code']}", headers=headers).json()
    assert (found["conversions"], found["revenue"], found["customer"]["email"]) == (1, {"USD": "12.50"}, None)
    assert local_stack.get(f"{V1}/referral_codes", params={"email": email}, headers=headers).json()["count"] == 0


def test_personal_referral_link_guides_example_with_a_boolean_query_param(local_stack):
    """Friendbuy's guide sends ``{"vip": true}``: accepted verbatim, and in the link as ``vip=true``."""
    headers = bare(local_stack)
    documented = fixture("docs-guides-personal-referral-link")
    assert local_stack.post(f"{V1}/personal-referral-link", json=documented, headers=headers).status_code == 404
    ours = {**documented, "campaignId": demo.CAMPAIGN, "customerId": f"VIP-{uuid.uuid4().hex[:6]}",
            "destinationUrlQueryParams": {"vip": True, "tier": 2, "score": 9.5}}
    made = local_stack.post(f"{V1}/personal-referral-link", json=ours, headers=headers)
    assert made.status_code == 201, made.text
    assert made.json()["link"].startswith(demo.REFERRAL_URL + "?vip=true&tier=2&score=9.5&referralCode=")

"""Friendbuy demo: campaign ``53345`` (access key ``demo-key``, secret ``demo-secret``), coupon bank
``9900`` with 1,000 generated codes (10 % off, unlimited uses), and bank ``9901`` holding two
influencer codes for use case 2 (GEORGIE10, JAYLENE10)."""

import base64
import json
from decimal import Decimal

from coupons.core.models import Discount, DiscountKind
from coupons.core.table import Table
from coupons.friendbuy import banks, campaigns
from coupons.friendbuy.banks import BankSettings
from coupons.friendbuy.campaigns import CampaignSettings
from coupons_admin import bank_loading

CAMPAIGN = "53345"
KEY = "demo-key"
SECRET = "demo-secret"
BANK = "9900"
INFLUENCER_BANK = "9901"
INFLUENCER_CODES = ["GEORGIE10", "JAYLENE10"]
BANK_SIZE = 1_000
REFERRAL_URL = "https://shop.example/refer"
# The demo campaign is not linked to a Friendbuy account; `make run` prints the command that links
# it (to the local partner stub) with these stand-in MAPI credentials.
MAPI_KEY, MAPI_SECRET = "demo-mapi-key", "demo-mapi-secret"
# moto, behind every contract's handler tests, copies the whole table for each item of a
# transaction, so 1,000 codes there would slow every test that seeds the demo; it gets a few.
# DynamoDB Local (make run, the HTTP tests, the benchmarks) gets the full bank.
IN_PROCESS_FAKE_BANK_SIZE = 20


def _bank_size(table: Table) -> int:
    on_aws_endpoint = table.client.meta.endpoint_url.endswith(".amazonaws.com")
    return IN_PROCESS_FAKE_BANK_SIZE if on_aws_endpoint else BANK_SIZE


def seed(table: Table) -> None:
    campaigns.add_campaign(table, CAMPAIGN, SECRET, CampaignSettings(
        access_key=KEY, name="Demo referral programme", link_base="https://shop.example/r/",
        referral_url=REFERRAL_URL))
    discount = Discount(kind=DiscountKind.PERCENT, value=Decimal(10))
    bank = banks.add_bank(table, BANK, BankSettings(campaign_id=CAMPAIGN, discount=discount, prefix="FB", length=8,
                                                    name="Demo advocates"), replace=True)
    bank_loading.generate(table, bank, _bank_size(table), workers=4)
    influencers = banks.add_bank(table, INFLUENCER_BANK, BankSettings(
        campaign_id=CAMPAIGN, discount=Discount(kind=DiscountKind.PERCENT, value=Decimal(15)), shards=1,
        name="Demo influencers"), replace=True)
    bank_loading.upload(table, influencers, INFLUENCER_CODES, workers=1)


BASIC = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
ADVOCATE_1 = {"campaign": {"id": 53345}, "customer": {"id": "C9911", "first_name": "Jaylene", "last_name": "Zheng",
                                                      "email": "jzheng@example.mil"}, "coupon_bank_id": {"id": "9900"}}
ADVOCATE_2 = {"campaign": {"id": 53345}, "customer": {"id": "C9912", "first_name": "Ada", "last_name": "Lovelace",
                                                      "email": "ada@example.org"}, "coupon_bank_id": {"id": "9900"}}
INFLUENCER = {"campaign": {"id": 53345}, "customer": {"id": "C7001", "first_name": "Georgie", "last_name": "Clooney",
                                                      "email": "cloondog@example.mil"}, "coupon_code": "Georgie10"}


def curl_lines(base_url: str) -> list[str]:
    url = f"{base_url}/friendbuy/v1"
    json_header = "-H 'content-type: application/json'"
    bearer = '-H "Authorization: Bearer $TOKEN"'
    pick = "python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])'"
    return [
        "# Friendbuy: a bearer token, codes from bank 9900 for two advocates, a purchase with the first one's code,",
        "# then the lookup showing the conversion (HTTP Basic -u demo-key:demo-secret works instead of the token)",
        f"TOKEN=$(curl -s -X POST {url}/authorization {json_header} "
        f"-d '{json.dumps({'key': KEY, 'secret': SECRET})}' | {pick} token)",
        f"CODE=$(curl -s -X POST {url}/referral_codes {bearer} {json_header} "
        f"-d '{json.dumps(ADVOCATE_1)}' | tee /dev/stderr | {pick} coupon_code); echo",
        f"curl -s -w '\\n' -X POST {url}/referral_codes {bearer} {json_header} -d '{json.dumps(ADVOCATE_2)}'",
        f"curl -s -w '\\n' -X POST {url}/event/purchase {bearer} {json_header} "
        "-d '{\"orderId\": \"ORDER-1001\", \"customerId\": \"F-501\", \"amount\": 59.90, \"currency\": \"USD\", "
        "\"couponCode\": \"'$CODE'\"}'",
        f"curl -s -w '\\n' '{url}/referral_codes?customerId=C9911' {bearer}",
        f".venv/bin/coupons-admin --local banks status {BANK}",
        "# Merchant API routes as Segment's Friendbuy destination calls them (the bare token, no 'Bearer'):",
        f"curl -s -w '\\n' -X POST {url}/personal-referral-link -H \"Authorization: $TOKEN\" {json_header} "
        f"-d '{json.dumps(REFERRAL_LINK)}'",
        f"curl -s -w '\\n' -X POST {url}/event/account-sign-up -H \"Authorization: $TOKEN\" {json_header} "
        f"-d '{json.dumps(SIGN_UP)}'",
        f"curl -s -w '\\n' -X DELETE '{url}/user-data?email=new.friend%40example.com' -H \"Authorization: $TOKEN\"",
    ]


REFERRAL_LINK = {"email": "jzheng@example.mil", "campaignId": CAMPAIGN, "customerId": "C9911", "firstName": "Jaylene",
                 "lastName": "Zheng", "destinationUrlQueryParams": {"utm_source": "email"}}
SIGN_UP = {"customerId": "F-501", "email": "new.friend@example.com", "firstName": "New", "lastName": "Friend",
           "couponCode": "GEORGIE10", "ipAddress": "203.0.113.7", "userAgent": "Mozilla/5.0"}
LEGACY_PURCHASE = {"order": {"id": "281", "amount": 795.00, "email": "friend@example.com", "new_customer": True},
                   "coupon_code": "GEORGIE10", "customer": {"id": "F-281"},
                   "products": [{"sku": "SKU-9", "description": "Chair", "quantity": 1, "price": 795.00}]}
_JSON = {"authorization": BASIC}
# Sample requests written to events/friendbuy/ (python -m localrun.samples): name -> request.
# Bearer routes carry HTTP Basic demo-key:demo-secret, so the files work without a fresh token.
SAMPLES = {
    "authorization": {"route": ("POST", "/friendbuy/v1/authorization", {}), "body": {"key": KEY, "secret": SECRET}},
    "authorization-wrong-secret": {"route": ("POST", "/friendbuy/v1/authorization", {}),
                                   "body": {"key": KEY, "secret": "not-the-secret"}},
    "referral-code-from-bank": {"headers": _JSON, "body": ADVOCATE_1},
    "referral-code-existing-code": {"headers": _JSON, "body": INFLUENCER},
    "referral-code-email-only": {"headers": _JSON, "body": {"campaign": {"id": 53345}, "email": "Sam@Example.org",
                                                            "coupon_bank_id": {"id": 9900}}},
    "referral-code-missing-email": {"headers": _JSON, "body": {"campaign": {"id": 53345}, "customer": {"id": "C1"},
                                                               "coupon_bank_id": {"id": "9900"}}},
    "referral-code-unknown-campaign": {"headers": _JSON, "body": {**ADVOCATE_1, "campaign": {"id": 11111}}},
    "referral-code-unknown-bank": {"headers": _JSON, "body": {**ADVOCATE_1, "coupon_bank_id": {"id": "4040"}}},
    "referral-code-unknown-code": {"headers": _JSON, "body": {**INFLUENCER, "coupon_code": "NOSUCHCODE"}},
    "referral-code-no-credentials": {"body": ADVOCATE_1},
    "referral-code-expired-token": {"headers": {"authorization": "Bearer expired-or-unknown-token"}, "body": ADVOCATE_1},
    "referral-code-not-json": {"headers": {**_JSON, "content-type": "application/json"}, "body": "{campaign: 53345"},
    "lookup-by-email": {"route": ("GET", "/friendbuy/v1/referral_codes", {}), "headers": _JSON,
                        "query": "email=jzheng%40example.mil"},
    "lookup-by-customer-id": {"route": ("GET", "/friendbuy/v1/referral_codes", {}), "headers": _JSON,
                              "query": "customerId=C9911"},
    "lookup-unknown-referral-code": {"route": ("GET", "/friendbuy/v1/referral_codes/{referral_code}",
                                               {"referral_code": "zzzzzz"}), "headers": _JSON},
    "purchase-unknown-coupon": {"route": ("POST", "/friendbuy/v1/event/purchase", {}), "headers": _JSON, "body": {
        "orderId": "ORDER-2001", "customerId": "F-777", "amount": 25.00, "currency": "USD", "email": "friend@example.com",
        "isNewCustomer": True, "couponCode": "NOTABANKCODE",
        "products": [{"sku": "SKU-1", "name": "Mug", "quantity": 1, "price": 25.00}]}},
    "purchase-missing-amount": {"route": ("POST", "/friendbuy/v1/event/purchase", {}), "headers": _JSON,
                                "body": {"orderId": "ORDER-2002", "customerId": "F-777", "currency": "USD"}},
    "purchase-bad-currency": {"route": ("POST", "/friendbuy/v1/event/purchase", {}), "headers": _JSON,
                              "body": {"orderId": "ORDER-2003", "customerId": "F-777", "amount": 10, "currency": "DOLLARS"}},
    "personal-referral-link": {"route": ("POST", "/friendbuy/v1/personal-referral-link", {}), "headers": _JSON,
                               "body": REFERRAL_LINK},
    "personal-referral-link-unknown-campaign": {"route": ("POST", "/friendbuy/v1/personal-referral-link", {}),
                                                "headers": _JSON, "body": {**REFERRAL_LINK, "campaignId": "11111"}},
    "personal-referral-link-bad-email": {"route": ("POST", "/friendbuy/v1/personal-referral-link", {}),
                                         "headers": _JSON, "body": {**REFERRAL_LINK, "email": "jzheng"}},
    "sign-up": {"route": ("POST", "/friendbuy/v1/event/account-sign-up", {}), "headers": _JSON, "body": SIGN_UP},
    "sign-up-missing-customer-id": {"route": ("POST", "/friendbuy/v1/event/account-sign-up", {}), "headers": _JSON,
                                    "body": {"email": "new.friend@example.com"}},
    "customer": {"route": ("POST", "/friendbuy/v1/customer", {}), "headers": _JSON, "body": {
        "customerId": "F-501", "email": "new.friend@example.com", "firstName": "New", "city": "Beverly Hills",
        "birthday": {"day": 29, "month": 2, "year": 1996}}},
    "custom-event": {"route": ("POST", "/friendbuy/v1/event/custom", {}), "headers": _JSON, "body": {
        "eventType": "newsletter signup", "email": "new.friend@example.com", "deduplicationId": "nl-F-501",
        "referralCode": "zzzzzz"}},
    "custom-event-missing-type": {"route": ("POST", "/friendbuy/v1/event/custom", {}), "headers": _JSON,
                                  "body": {"email": "new.friend@example.com"}},
    "user-data-delete": {"route": ("DELETE", "/friendbuy/v1/user-data", {}), "headers": _JSON,
                         "query": "email=new.friend%40example.com"},
    "user-data-no-credentials": {"route": ("DELETE", "/friendbuy/v1/user-data", {}), "query": "customerId=F-501"},
    "legacy-purchase": {"route": ("POST", "/friendbuy/v1/purchases", {}), "headers": _JSON, "body": LEGACY_PURCHASE},
    "purchase-unknown-bare-token": {"route": ("POST", "/friendbuy/v1/event/purchase", {}),
                                    "headers": {"authorization": "not-a-token-we-issued"},
                                    "body": {"orderId": "ORDER-2004", "customerId": "F-777", "amount": 10, "currency": "USD"}},
}
SAMPLE_ROUTE: tuple[str, str, dict[str, str]] = ("POST", "/friendbuy/v1/referral_codes", {})

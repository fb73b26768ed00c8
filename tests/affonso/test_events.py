"""The handler invoked with each events/affonso/*.json, as `sam local invoke -e` does.

Token events carry the demo seed's fixed embed tokens (localrun/demo/affonso.py), so each file is
meaningful on its own against a table with the demo configuration.
"""

import pytest

from coupons.affonso import affiliates
from coupons.core import code_items
from localrun.demo.affonso import DEMO_TOKENS
from tests.conftest import body, event_names, load_event

FUNCTION = "AffonsoFunction"


def error(status: int, code: str, message: str) -> tuple:
    return status, {"success": False, "error": {"code": code, "message": message}}


def affiliate(token: str) -> dict:
    programme, email, name = DEMO_TOKENS[token]
    return {"name": name, "email": email, "trackingId": affiliates.affiliate_id(programme, email), "avatarUrl": None}


def link(token: str) -> str:
    return f"https://shop.example.com?via={affiliate(token)['trackingId']}"


BLUEPRINT = {"discountType": "percentage", "discountValue": 20}
NO_SALES = {"clicks": None, "leads": None, "sales": 0, "salesAmount": 0, "currency": "EUR",
            "earnings": {"pending": 0, "approved": None, "paid": None}}
# Everything the demo programme configures (localrun/demo/affonso.py), as Affonso's payload shows it.
DEMO_PROGRAMME = {
    "websiteUrl": "https://shop.example.com",
    "rewards": {"type": "percentage", "amount": 10, "recurring": False, "duration": "lifetime", "currency": "EUR"},
    "incentives": [{"name": "Launch bonus", "description": "50.00 EUR once your code has 10 sales"}],
    "portalUrl": "https://shop.example.com/affiliates",
    "creatives": [{"id": "cr_demo_banner", "name": "Banner 300x250", "description": "Spring collection banner",
                   "category": "banners", "url": "https://shop.example.com/creatives/banner-300x250.png",
                   "dimensions": {"width": 300, "height": 250}}],
    "program": {"name": "Demo affiliate programme", "logoUrl": None},
    "theme": {"primaryColor": "#881337", "secondaryColor": "#f5f5f4"},
}
# demo-closed configures only its name: nothing is invented for the rest.
CLOSED_PROGRAMME = {
    "websiteUrl": None, "rewards": None, "incentives": [], "portalUrl": None, "creatives": [],
    "program": {"name": "Demo programme without self-service", "logoUrl": None},
    "theme": {"primaryColor": None, "secondaryColor": None},
}


def dashboard(token: str, programme: dict, coupon: dict | None, blueprint: dict | None, stats: dict) -> tuple:
    return 200, {"success": True, "data": {
        "affiliate": affiliate(token), "link": link(token) if programme["websiteUrl"] else None, **programme,
        "stats": stats, "earnings": [], "coupon": coupon, "couponBlueprint": blueprint, "token": token}}


NOT_PAUSED = {"paused": False, "pausedReason": None, "previousCodes": []}  # the leak guard's fields (docs/guard.md)

EXPECTED = {
    "data": dashboard("demo-token-jane", DEMO_PROGRAMME, None, BLUEPRINT, NO_SALES),
    "data-with-coupon": dashboard("demo-token-sam", DEMO_PROGRAMME, {"code": "SAMSAVES", **BLUEPRINT, **NOT_PAUSED}, None,
                                  NO_SALES),
    "data-self-service-off": dashboard("demo-token-kim", CLOSED_PROGRAMME, None, None, {
        **NO_SALES, "currency": None, "earnings": {"pending": None, "approved": None, "paid": None}}),
    "data-token-expired": error(401, "TOKEN_EXPIRED", "Token Expired"),
    "coupon": (200, {"success": True, "data": {"code": "JANE20", **BLUEPRINT}}),
    "coupon-already-has-coupon": error(409, "ALREADY_HAS_COUPON", "Already Has Coupon"),
    "coupon-code-taken": error(409, "CODE_TAKEN", "Code Taken"),
    "coupon-self-service-not-enabled": error(403, "SELF_SERVICE_NOT_ENABLED", "Self-Service Not Enabled"),
    "coupon-invalid-code-format": error(400, "INVALID_CODE_FORMAT", "Invalid Code Format"),
    "coupon-token-expired": error(401, "TOKEN_EXPIRED", "Token Expired"),
    "coupon-not-json": error(400, "VALIDATION_ERROR", "The request body is not valid JSON"),
    "coupon-missing-code": error(400, "VALIDATION_ERROR", "code: Field required"),
    "token-wrong-key": error(401, "UNAUTHORIZED", "The key for programme 'demo' is not valid"),
    # As a wrong key: an API key learns nothing about programmes it does not open.
    "token-unknown-programme": error(401, "UNAUTHORIZED", "The key for programme 'nope' is not valid"),
    "token-missing-email": error(400, "VALIDATION_ERROR", "partner.email: Field required"),
}


def test_every_sample_event_has_an_expectation():
    assert set(event_names("affonso")) == set(EXPECTED) | {"token", "portal"}


def test_portal_event_serves_the_page_under_a_policy_that_allows_its_own_script(handler):
    response = handler(FUNCTION)(load_event("affonso", "portal"))
    assert response["statusCode"] == 200 and response["headers"]["Content-Type"] == "text/html; charset=utf-8"
    policy = response["headers"]["Content-Security-Policy"]
    assert "script-src 'sha256-" in policy and "unsafe-inline" not in policy
    assert response["headers"]["Referrer-Policy"] == "no-referrer"
    assert '<label for="code-input">' in response["body"] and 'aria-live="polite"' in response["body"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_event(handler, name):
    response = handler(FUNCTION)(load_event("affonso", name))
    assert (response["statusCode"], body(response)) == EXPECTED[name]
    assert response["headers"]["Content-Type"] == "application/json"


def test_token_event_gives_a_working_token_for_the_affiliate(handler):
    invoke = handler(FUNCTION)
    response = invoke(load_event("affonso", "token"))
    data = body(response)["data"]
    assert response["statusCode"] == 200 and set(data) == {"publicToken", "expiresAt", "link", "partnershipStatus"}
    assert data["partnershipStatus"] == "APPROVED"
    assert data["expiresAt"].endswith("Z") and data["link"].startswith("https://shop.example.com?via=aff_")
    event = load_event("affonso", "data")
    event["queryStringParameters"] = {"token": data["publicToken"]}
    event["rawQueryString"] = f"token={data['publicToken']}"
    shown = body(invoke(event))["data"]
    assert shown["affiliate"]["email"] == "john@example.com" and shown["couponBlueprint"] == BLUEPRINT


def test_coupon_then_data_shows_it_and_a_retry_answers_the_same(handler, demo_table):
    invoke = handler(FUNCTION)
    created = invoke(load_event("affonso", "coupon"))
    assert (created["statusCode"], body(created)["data"]["code"]) == (200, "JANE20")
    again = invoke(load_event("affonso", "coupon"))  # the same request after a timeout
    assert (again["statusCode"], body(again)) == (200, body(created))
    assert body(invoke(load_event("affonso", "data")))["data"]["coupon"] == {"code": "JANE20", **BLUEPRINT, **NOT_PAUSED}
    stored = code_items.get(demo_table, "JANE20")
    assert (stored.owner.partner, stored.owner.account, stored.owner.person) == (
        "affonso", "demo", affiliate("demo-token-jane")["trackingId"])


def test_a_new_token_makes_the_demo_token_useless(handler):
    invoke = handler(FUNCTION)
    event = load_event("affonso", "token")
    event["body"] = event["body"].replace("john@example.com", "jane@example.com")
    assert invoke(event)["statusCode"] == 200
    response = invoke(load_event("affonso", "data"))  # still demo-token-jane
    assert (response["statusCode"], body(response)) == error(401, "TOKEN_EXPIRED", "Token Expired")

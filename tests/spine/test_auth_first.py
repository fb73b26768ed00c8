"""Credentials are checked before the body: a caller without them learns nothing of the body's
rules (nor whether an account exists). Each contract answers its own 401/403, never a 400."""

import json

import pytest

from tests.conftest import body


def event(method: str, path: str, payload: object, headers: dict[str, str] | None = None, query: str = "") -> dict:
    raw = payload if isinstance(payload, str) else json.dumps(payload)
    return {
        "version": "2.0", "routeKey": f"{method} {path}", "rawPath": path, "rawQueryString": query,
        "headers": {"content-type": "application/json", **(headers or {})}, "body": raw, "isBase64Encoded": False,
        "requestContext": {"http": {"method": method, "path": path}, "requestId": "r", "routeKey": f"{method} {path}",
                           "stage": "$default"},
    }


CASES = {
    "checkout redeem": ("CheckoutFunction", event("POST", "/checkout/redemptions", {"code": 5})),
    "checkout validate": ("CheckoutFunction", event("POST", "/checkout/validate", "not json")),
    # The token route's key opens the programme the body names: without a key, 401 comes first.
    "affonso token": ("AffonsoFunction", event("POST", "/affonso/v1/embed/token", {"programId": 1})),
    "checkout redeem, wrong key": ("CheckoutFunction", event("POST", "/checkout/redemptions", {"code": 5},
                                                             {"authorization": "Bearer wrong"})),
    "friendbuy purchase": ("FriendbuyFunction", event("POST", "/friendbuy/v1/event/purchase", {"orderId": []})),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_without_credentials_a_bad_body_is_answered_401_not_400(handler, case):
    function, request = CASES[case]
    response = handler(function)(request)
    assert response["statusCode"] in (401, 403), body(response)


WRONG_KEY = {"authorization": "Bearer wrong"}
# Format checks the routes make themselves (codes, redemption ids, repeated parameters) come after
# the key too: a wrong key with a malformed code is a 401, not a description of the code's rules.
FORMAT_AFTER_KEY = {
    "checkout validate, bad code": ("CheckoutFunction", event(
        "POST", "/checkout/validate", {"code": "!!", "cart": {"total": "10.00", "currency": "EUR"}}, WRONG_KEY)),
    "checkout redeem, bad code": ("CheckoutFunction", event(
        "POST", "/checkout/redemptions",
        {"code": "!!", "order_id": "1", "cart": {"total": "10.00", "currency": "EUR"}}, WRONG_KEY)),
    "checkout gift card, bad code": ("CheckoutFunction", event("GET", "/checkout/gift-cards/!!", "", WRONG_KEY)),
    "checkout liability, bad date": ("CheckoutFunction", dict(event(
        "GET", "/checkout/reports/gift-cards", "", WRONG_KEY, query="as_of=31.12.2030&format=xls"),
        queryStringParameters={"as_of": "31.12.2030", "format": "xls"})),
    "checkout rollback, bad id": ("CheckoutFunction", event(
        "POST", "/checkout/redemptions/not-an-id/rollback", "", WRONG_KEY)),
    "checkout refund, bad id": ("CheckoutFunction", event(
        "POST", "/checkout/redemptions/not-an-id/refunds", {"refund_id": "r1", "amount": "1.00"}, WRONG_KEY)),
    "brandbassador, repeated parameter": ("BrandbassadorFunction", event(
        "GET", "/brandbassador/webshops/demo/codes", "", query="code=AB12&code=CD34&percentage=10&auth_key=wrong")),
}


@pytest.mark.parametrize("case", sorted(FORMAT_AFTER_KEY))
def test_a_wrong_key_is_refused_before_the_requests_format(handler, case):
    function, request = FORMAT_AFTER_KEY[case]
    if function == "BrandbassadorFunction":
        request["pathParameters"] = {"webshop": "demo"}
        request["queryStringParameters"] = {"code": "AB12,CD34", "percentage": "10", "auth_key": "wrong"}
    response = handler(function)(request)
    assert response["statusCode"] in (401, 403), body(response)

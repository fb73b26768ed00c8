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

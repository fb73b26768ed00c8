"""Random bodies and credentials: every answer is 2xx or 4xx in the contract's error shape, never a 500."""

import json
from urllib.parse import quote, urlencode

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from localrun.demo import friendbuy as demo
from localrun.samples import sample_event
from tests.conftest import body

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10**20), max_value=10**20),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
                    st.sampled_from(["53345", "9900", "9901", "GEORGIE10", "georgie10", "jz@example.mil", "USD", ""]))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=8)
IDS = st.one_of(st.integers(), st.text(max_size=70), st.sampled_from([53345, "53345", "9900", 9900, True, None]))
CUSTOMER = st.fixed_dictionaries({}, optional={
    "id": IDS, "email": st.one_of(st.emails(), st.text(max_size=30)), "first_name": JSON, "last_name": st.text()})
REFERRAL_BODY = st.fixed_dictionaries({}, optional={
    "campaign": st.one_of(JSON, st.fixed_dictionaries({"id": IDS})), "customer": st.one_of(JSON, CUSTOMER),
    "email": st.one_of(st.emails(), JSON), "coupon_bank_id": st.one_of(JSON, st.fixed_dictionaries({"id": IDS})),
    "coupon_code": st.one_of(st.text(max_size=70), JSON, st.sampled_from(["GEORGIE10", "jaylene10", "FB"]))})
PURCHASE_BODY = st.fixed_dictionaries({}, optional={
    "orderId": IDS, "customerId": IDS, "amount": SCALARS, "currency": st.one_of(st.sampled_from(["USD", "eur", "XXX"]), JSON),
    "email": st.one_of(st.emails(), JSON), "isNewCustomer": SCALARS, "couponCode": st.one_of(st.text(max_size=300), JSON),
    "referralCode": JSON, "refCode": JSON, "products": st.one_of(JSON, st.lists(st.fixed_dictionaries({}, optional={
        "sku": JSON, "name": JSON, "quantity": SCALARS, "price": SCALARS}), max_size=3))})
# Nearly valid bodies: a valid request with one field replaced, so successes are exercised too.
NEAR_REFERRAL = st.builds(
    lambda customer, field, value: {**demo.ADVOCATE_1, "customer": {**demo.ADVOCATE_1["customer"], "id": customer},
                                    **({field: value} if field else {})},
    st.text(st.characters(codec="ascii", min_codepoint=33), min_size=1, max_size=12),
    st.sampled_from([None, None, None, "campaign", "coupon_bank_id", "coupon_code", "email", "customer"]),
    st.one_of(JSON, st.sampled_from(["GEORGIE10", {"id": "9901"}, {"id": 53345}]), CUSTOMER))
NEAR_PURCHASE = st.builds(
    lambda order, field, value: {"orderId": order, "customerId": "F1", "amount": 12.5, "currency": "USD",
                                 **({field: value} if field else {})},
    st.text(st.characters(codec="ascii", min_codepoint=33), min_size=1, max_size=12),
    st.sampled_from([None, None, "amount", "currency", "couponCode", "products", "email"]),
    st.one_of(JSON, st.sampled_from(["GEORGIE10", 0, 1e12, 1e13, -1, "FB"])))
AUTH = st.sampled_from([demo.BASIC] * 6 + [None, "Bearer x", "Basic ZGVtby1rZXk6", "Basic %%%", "basic " + demo.BASIC[6:]])
ROUTES = {
    "referral": ("POST", "/friendbuy/v1/referral_codes", {}),
    "purchase": ("POST", "/friendbuy/v1/event/purchase", {}),
    "authorization": ("POST", "/friendbuy/v1/authorization", {}),
}
REASONS = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 409: "Conflict", 422: "Unprocessable Entity",
           429: "Too Many Requests"}


def check(response: dict) -> dict:
    status, answer = response["statusCode"], body(response)
    assert status in (200, 201) or status in REASONS, (status, answer)
    if status >= 400:
        assert answer == {"error": REASONS[status], "message": answer["message"], "code": status,
                          "reference": "sample-request"}  # API Gateway's request id, for a brand to quote
        assert isinstance(answer["message"], str) and answer["message"]
    return answer


def invoke(handler, route: str, payload, auth):
    raw = payload if isinstance(payload, str) else json.dumps(payload)
    headers = {"content-type": "application/json", **({"authorization": auth} if auth else {})}
    return handler("FriendbuyFunction")(sample_event(ROUTES[route], {"body": raw, "headers": headers}))


SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                            HealthCheck.too_slow])


@SETTINGS
@given(payload=st.one_of(NEAR_REFERRAL, NEAR_REFERRAL, REFERRAL_BODY, JSON, st.text(max_size=20)), auth=AUTH)
def test_any_referral_body(handler, payload, auth):
    answer = check(invoke(handler, "referral", payload, auth))
    event("referral answered " + ("ok" if "referral_code" in answer else str(answer["code"])))
    if "referral_code" in answer:
        assert answer["coupon_code"] and answer["trackable_link"].endswith(answer["referral_code"])


@SETTINGS
@given(payload=st.one_of(NEAR_PURCHASE, NEAR_PURCHASE, PURCHASE_BODY, JSON, st.text(max_size=20)), auth=AUTH)
def test_any_purchase_body(handler, payload, auth):
    answer = check(invoke(handler, "purchase", payload, auth))
    event("purchase answered " + ("ok" if "eventId" in answer else str(answer["code"])))
    if "eventId" in answer:
        assert answer["attribution"]["status"] in ("attributed", "unattributed")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.one_of(st.fixed_dictionaries({}, optional={"key": JSON, "secret": JSON}), JSON, st.text(max_size=20)))
def test_any_authorization_body(handler, payload):
    answer = check(invoke(handler, "authorization", payload, None))
    assert set(answer) in ({"tokenType", "token", "expires"}, {"error", "message", "code", "reference"})


LOOKUP_PARAMS = st.lists(st.tuples(st.sampled_from(["email", "customerId", "campaignId", "junk"]),
                                   st.one_of(st.text(max_size=30), st.sampled_from(["jz@example.mil", "C9911", "53345"]))),
                         max_size=3)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=LOOKUP_PARAMS, referral_code=st.text(min_size=1, max_size=20).filter(lambda s: "/" not in s), auth=AUTH)
def test_any_lookup(handler, params, referral_code, auth):
    headers = {"authorization": auth} if auth else {}
    many = ("GET", "/friendbuy/v1/referral_codes", {})
    one = ("GET", "/friendbuy/v1/referral_codes/{referral_code}", {"referral_code": quote(referral_code, safe="")})
    for route, sample in ((many, {"query": urlencode(params), "headers": headers}), (one, {"headers": headers})):
        answer = check(handler("FriendbuyFunction")(sample_event(route, sample)))
        assert "code" in answer or "count" in answer or "referral_code" in answer

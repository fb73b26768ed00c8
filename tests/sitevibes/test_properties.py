"""Random bodies and headers: every answer is 2xx or 4xx in the contract's shape, never a 500, and a
2xx code is always a stored code."""

import base64
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coupons.core import code_items
from localrun.samples import sample_event
from tests.conftest import body

ROUTE = ("POST", "/sitevibes/rewards/{reward}/coupons", {"reward": "demo"})
EMAILS = st.one_of(
    st.sampled_from(["john.smith@email.com", "JOHN.smith@Email.com ", "a@b.co", "john.smith", "", "@", "a@b"]),
    st.emails(),
    st.text(max_size=40),
    st.integers(),
    st.none(),
    st.lists(st.text(max_size=5), max_size=2),
)
JSON_BODIES = st.one_of(
    st.fixed_dictionaries({"email": EMAILS}),
    st.dictionaries(st.sampled_from(["email", "Email", "mail", "name"]), EMAILS, max_size=3),
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                 lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                 max_leaves=6),
).map(json.dumps)
VALID_BODIES = st.one_of(st.emails(), st.sampled_from(["john.smith@email.com", " John.Smith@EMAIL.com"])).map(
    lambda email: json.dumps({"email": email}))
BODIES = st.one_of(VALID_BODIES, JSON_BODIES, st.text(max_size=60), st.none())
HEADER_NAMES = st.sampled_from(["X-Api-Key", "x-api-key", "X-API-KEY", "Authorization", "X-Api-Keys"])
HEADER_VALUES = st.one_of(st.sampled_from(["demo-key", " demo-key ", "Bearer demo-key", "", "demo-kez"]),
                          st.text(max_size=20))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    reward=st.sampled_from(["demo", "demo", "demo", "demo-nocode", "nope", "d%C3%A9mo"]),
    # Mostly the right key, so that the body rules are reached as often as the key rules.
    headers=st.one_of(st.just({"x-api-key": "demo-key"}), st.just({"X-API-KEY": "demo-key"}),
                      st.dictionaries(HEADER_NAMES, HEADER_VALUES, max_size=2)),
    payload=BODIES,
    content_type=st.sampled_from([None, "application/json", "text/plain", "application/x-www-form-urlencoded"]),
    as_base64=st.booleans(),
)
def test_any_request_gets_a_contract_answer(handler, demo_table, reward, headers, payload, content_type, as_base64):
    sample = {"path_parameters": {"reward": reward}, "headers": dict(headers)}
    if content_type:
        sample["headers"]["content-type"] = content_type
    if payload is not None:
        sample["body"] = payload
    event = sample_event(ROUTE, sample)
    if as_base64 and payload:
        event.update(body=base64.b64encode(payload.encode("utf-8", "surrogatepass")).decode(), isBase64Encoded=True)

    response = handler("SiteVibesFunction")(event)
    status, answer = response["statusCode"], body(response)
    assert status in (200, 400, 401)  # an unknown reward is a 401 too: no 404 to probe ids with
    if status == 200:
        assert set(answer) == {"coupon_code"} and isinstance(answer["coupon_code"], str)
        if answer["coupon_code"]:
            assert code_items.get(demo_table, answer["coupon_code"]).owner.account == "demo"
        else:
            assert reward == "demo-nocode"
    else:
        assert set(answer) == {"error"} and set(answer["error"]) == {"code", "message"}
        assert answer["error"]["code"].isupper() and answer["error"]["message"]

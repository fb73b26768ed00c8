"""Random requests to the three routes: every answer is a 2xx or 4xx in Affonso's envelope, never a 500."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from localrun.samples import sample_event
from tests.conftest import body

TOKEN_ROUTE = ("POST", "/affonso/v1/embed/token", {})
DATA_ROUTE = ("GET", "/affonso/v1/embed/data", {})
COUPON_ROUTE = ("POST", "/affonso/v1/embed/coupon", {})

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30),
                    st.sampled_from(["demo", "demo-closed", "demo-token-alex", "demo-token-kim", "a@b.co",
                                     "JOHN20", "samsaves", "", "x" * 300]))
JSON = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                    max_leaves=12)
PARTNERS = st.one_of(JSON, st.fixed_dictionaries({"email": st.one_of(SCALARS, st.just("ann@example.com"))},
                                                 optional={"name": SCALARS, "image": SCALARS}))
TOKEN_BODIES = st.one_of(
    JSON,
    st.fixed_dictionaries({"programId": SCALARS, "partner": PARTNERS},
                          optional={"groupId": SCALARS, "externalUserId": SCALARS, "metadata": JSON}),
)
COUPON_BODIES = st.one_of(JSON, st.fixed_dictionaries({"token": SCALARS, "code": SCALARS}))
RAW_BODIES = st.one_of(st.text(max_size=40), st.binary(max_size=40).map(lambda b: b.decode("latin-1")))
HEADERS = st.sampled_from([{}, {"authorization": "Bearer demo-key"}, {"authorization": "Bearer x"},
                           {"authorization": "demo-key"}])


def assert_contract_answer(response: dict) -> None:
    status, answer = response["statusCode"], body(response)
    assert status in (200, 400, 401, 403, 404, 409), answer
    if status == 200:
        assert answer["success"] is True and isinstance(answer["data"], dict)
    else:
        assert set(answer) == {"success", "error"} and answer["success"] is False
        assert set(answer["error"]) == {"code", "message"} and answer["error"]["message"]


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY
@given(request=st.one_of(TOKEN_BODIES.map(json.dumps), RAW_BODIES), headers=HEADERS)
def test_any_token_request_gets_a_contract_answer(handler, request, headers):
    assert_contract_answer(handler("AffonsoFunction")(sample_event(TOKEN_ROUTE, {"body": request, "headers": headers})))


@PROPERTY
@given(request=st.one_of(COUPON_BODIES.map(json.dumps), RAW_BODIES))
def test_any_coupon_request_gets_a_contract_answer(handler, request):
    response = handler("AffonsoFunction")(sample_event(COUPON_ROUTE, {"body": request}))
    assert_contract_answer(response)
    if response["statusCode"] == 200:
        assert set(body(response)["data"]) == {"code", "discountType", "discountValue"}


@PROPERTY
@given(query=st.one_of(st.text(max_size=60), st.sampled_from(["token=demo-token-alex", "token=demo-token-kim",
                                                               "token=demo-token-alex&token=x", "token="])))
def test_any_data_query_gets_a_contract_answer(handler, query):
    assert_contract_answer(handler("AffonsoFunction")(sample_event(DATA_ROUTE, {"query": query})))

"""Random query strings: every answer is 2xx or 4xx in Brandbassador's shape, never a 500."""

from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from localrun.samples import sample_event
from tests.conftest import body

NAMES = ["code", "percentage", "percent", "amount", "currency", "expire", "totime", "u_limit", "auth_key", "auth",
         "key", "description", "ambassador", "junk"]
VALUES = st.one_of(
    st.sampled_from(["demo-key", "JOHN20", "john20", "20", "100.00", "EUR", "usd", "2030-12-31", "1", "", "0", "-1"]),
    st.text(max_size=30),
)
ROUTE = ("GET", "/brandbassador/webshops/{webshop}/codes", {"webshop": "demo"})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.lists(st.tuples(st.sampled_from(NAMES), VALUES), max_size=8),
       webshop=st.sampled_from(["demo", "nope", "d%C3%A9mo"]))
def test_any_query_gets_a_contract_answer(handler, params, webshop):
    event = sample_event(ROUTE, {"query": urlencode(params), "path_parameters": {"webshop": webshop}})
    response = handler("BrandbassadorFunction")(event)
    status, answer = response["statusCode"], body(response)
    assert status in (200, 400, 401, 403, 404, 409)
    if status == 200:
        assert answer == {"status": "success"}
    else:
        assert set(answer) == {"status", "error"} and answer["status"] == 0 and isinstance(answer["error"], str)
        assert answer["error"]

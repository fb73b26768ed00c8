"""Random bodies: every answer is 2xx or 4xx in the checkout's error shape, never a 500."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from localrun.demo.checkout import AUTH, add_sample_codes
from localrun.samples import sample_event
from tests.conftest import body

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10, 10**12), st.floats(allow_nan=True),
                    st.sampled_from(["CHECKOUT10", "checkoutgift", "CHECKOUTOLD", "100.00", "1.005", "-1", "EUR",
                                     "eur", "", "bb-1", "x" * 300]),
                    st.text(max_size=20))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                      max_leaves=8)
CODE = st.one_of(st.sampled_from(["CHECKOUT10", "checkoutgift", "CHECKOUTOLD", "NOSUCH1"]), VALUES)
AMOUNT = st.one_of(st.sampled_from(["100.00", "4.90", "0", "0.00", "1.005", "-1", 12.5, 0, 600]), VALUES)
CURRENCY = st.one_of(st.sampled_from(["EUR", "usd", "XXX"]), VALUES)
CART = st.fixed_dictionaries({"subtotal": AMOUNT, "currency": CURRENCY}, optional={"shipping": AMOUNT})
CUSTOMER = st.fixed_dictionaries({}, optional={"id": st.one_of(st.text(max_size=5), VALUES),
                                               "email": st.one_of(st.emails(), VALUES)})
BODY = st.fixed_dictionaries({"code": CODE, "cart": st.one_of(CART, VALUES)}, optional={
    "order_id": st.one_of(st.text(min_size=1, max_size=10), VALUES), "customer": st.one_of(CUSTOMER, VALUES),
    "amount": AMOUNT, "ref": VALUES})
ROUTES = [("POST", "/checkout/validate", {}), ("POST", "/checkout/redemptions", {})]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.one_of(BODY, VALUES), route=st.sampled_from(ROUTES), raw=st.sampled_from([False] * 9 + [True]))
def test_any_body_gets_a_checkout_answer(handler, demo_table, payload, route, raw):
    if demo_table.client.get_item(TableName=demo_table.name, Key={"pk": {"S": "CODE#CHECKOUT10"},
                                                                  "sk": {"S": "CODE"}}).get("Item") is None:
        add_sample_codes(demo_table)
    text = json.dumps(payload) if not raw else json.dumps(payload)[:-1]
    response = handler("CheckoutFunction")(sample_event(route, {"headers": AUTH, "body": text}))
    status, answer = response["statusCode"], body(response)
    assert status in (200, 201, 400, 404, 422)
    if status >= 400:
        assert set(answer) == {"error"} and set(answer["error"]) == {"code", "message"}
        assert answer["error"]["code"] and answer["error"]["message"]

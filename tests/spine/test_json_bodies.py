"""JSON routes read a JSON body as JSON even when the caller labelled it a form (`curl -d`)."""

import pytest

from coupons.core.json_body import read_as_json

pytestmark = pytest.mark.local_stack

CASES = [
    ("/friendbuy/v1/authorization", {}, '{"key": "demo-key", "secret": "demo-secret"}', 200, "token"),
    ("/affonso/v1/embed/token", {"Authorization": "Bearer demo-key"},
     '{"programId": "demo", "partner": {"email": "form@example.com"}}', 200, "data"),
    ("/checkout/validate", {"Authorization": "Bearer demo-key"},
     '{"code": "NOSUCHCODE", "cart": {"subtotal": "10.00", "currency": "EUR"}}', 404, "error"),
]


@pytest.mark.parametrize("path, headers, body, status, key", CASES)
@pytest.mark.parametrize("content_type", [None, "application/x-www-form-urlencoded"])
def test_json_body_without_a_json_content_type(local_stack, path, headers, body, status, key, content_type):
    if content_type:
        headers = {**headers, "content-type": content_type}
    response = local_stack.post(path, data=body, headers=headers)
    assert response.status_code == status, response.text
    assert key in response.json()


def test_only_bodies_that_are_json_are_relabelled():
    form = {"headers": {"content-type": "application/x-www-form-urlencoded"}, "body": "a=1&b=2"}
    assert read_as_json(form) is form
    relabelled = read_as_json({"headers": {"content-type": "text/plain"}, "body": '{"a": 1}'})
    assert relabelled["headers"]["content-type"] == "application/json"
    assert read_as_json({"headers": {}, "body": None}) == {"headers": {}, "body": None}

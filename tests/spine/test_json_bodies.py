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


# ---- bodies no route may answer with a 500 (core/json_body.py bounds them before parsing) --------

DEEP = "[" * 1000 + "]" * 1000

# Each route with a JSON body, its credentials, and how its contract shapes a refusal.
REFUSING_ROUTES = [
    ("/checkout/validate", {"Authorization": "Bearer demo-key"}, lambda b: set(b["error"]) == {"code", "message"}),
    ("/checkout/redemptions", {"Authorization": "Bearer demo-key"}, lambda b: set(b["error"]) == {"code", "message"}),
    ("/affonso/v1/embed/token", {"Authorization": "Bearer demo-key"},
     lambda b: b["success"] is False and set(b["error"]) == {"code", "message"}),
    ("/affonso/v1/embed/coupon", {}, lambda b: b["success"] is False and set(b["error"]) == {"code", "message"}),
    ("/friendbuy/v1/authorization", {}, lambda b: {"error", "message", "code"} <= set(b)),
    ("/friendbuy/v1/event/purchase", {"Authorization": "Basic ZGVtby1rZXk6ZGVtby1zZWNyZXQ="},
     lambda b: {"error", "message", "code"} <= set(b)),
    ("/sitevibes/rewards/demo/coupons", {"X-Api-Key": "demo-key"},
     lambda b: set(b["error"]) == {"code", "message"}),
]
UNREADABLE_BODIES = {
    "nested brackets": DEEP.encode(),
    "nested objects": ('{"a":' * 1000 + "1" + "}" * 1000).encode(),
    "duplicate keys": b'{"code": "A", "code": "B", "token": "demo-token-alex", "cart": {"subtotal": "1.00"}}',
    "not UTF-8": b"\xe9\xff:=",
    "too large": b'{"pad": "' + b"x" * 70_000 + b'"}',
}


@pytest.mark.parametrize("path, headers, shaped", REFUSING_ROUTES, ids=[r[0] for r in REFUSING_ROUTES])
@pytest.mark.parametrize("body", list(UNREADABLE_BODIES.values()), ids=list(UNREADABLE_BODIES))
@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_unreadable_bodies_are_refused_in_the_contracts_format(local_stack, path, headers, shaped, body, content_type):
    response = local_stack.post(path, data=body, headers={**headers, "content-type": content_type})
    assert 400 <= response.status_code < 500, response.text
    assert shaped(response.json()), response.text


def test_loads_bounds():
    from coupons.core.json_body import MAX_DEPTH, UnreadableBody, loads

    assert loads('{"a": ["[", "{"]}') == {"a": ["[", "{"]}  # brackets inside strings do not count
    assert loads("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    for raw in (DEEP, "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), '{"a": 1, "a": 2}', b"\xe9", "x" * 70_000, "{"):
        with pytest.raises(UnreadableBody):
            loads(raw)


def test_a_base64_body_that_is_not_utf8_reaches_the_route_as_not_json():
    import base64

    event = {"headers": {"content-type": "application/json"}, "isBase64Encoded": True,
             "body": base64.b64encode(b"\xe9\xff:=").decode()}
    read = read_as_json(event)
    assert read["isBase64Encoded"] is False and not read["body"].startswith(("{", "["))
    form = {"headers": {"content-type": "application/x-www-form-urlencoded"}, "isBase64Encoded": True,
            "body": base64.b64encode(b"a=1&b=2").decode()}
    assert read_as_json(form) is form


def test_a_large_body_is_refused_whatever_its_content_type():
    """A form of 70 KiB is not parsed as a form: the size bound comes before the content-type."""
    form = {"headers": {"content-type": "application/x-www-form-urlencoded"},
            "body": "email=a%40example.com&pad=" + "x" * (70 * 1024)}
    read = read_as_json(form)
    assert read["body"] != form["body"] and read["headers"]["content-type"] == "application/json"
    small = {"headers": {"content-type": "application/x-www-form-urlencoded"}, "body": "email=a%40example.com"}
    assert read_as_json(small) is small  # a small form still reaches the route, which names what is missing

"""template.yaml is the one source of truth: the local gateway, the tables of the tests, the
events/ samples and docs/openapi.json all come from it or from the code, never a second copy."""

import json

from localrun import openapi, samples, template
from localrun.events import http_event, path_pattern, query_parameters


def test_every_http_route_of_the_template_is_served_by_the_local_gateway(local_stack):
    import requests

    for function in template.functions():
        for route in function.routes:
            path = route.path.replace("{", "").replace("}", "").replace("+", "")
            response = requests.request(route.method if route.method != "ANY" else "GET", local_stack.url + path,
                                        timeout=30)
            # Routed to the function: whatever it answers, it is not the gateway's own 404.
            assert response.text != '{"message":"Not Found"}', route.route_key


def test_the_test_table_has_the_templates_keys_and_indexes(table):
    described = table.client.describe_table(TableName=table.name)["Table"]
    props = template.load()["Resources"]["CouponsTable"]["Properties"]
    assert described["KeySchema"] == props["KeySchema"]
    assert [i["IndexName"] for i in described.get("GlobalSecondaryIndexes", [])] == [
        i["IndexName"] for i in props["GlobalSecondaryIndexes"]
    ]


def test_path_patterns_match_like_api_gateway():
    pattern = path_pattern("/brandbassador/webshops/{webshop}/codes")
    assert pattern.match("/brandbassador/webshops/demo/codes").groupdict() == {"webshop": "demo"}
    assert pattern.match("/brandbassador/webshops/a/b/codes") is None
    assert path_pattern("/x/{proxy+}").match("/x/a/b").groupdict() == {"proxy": "a/b"}


def test_events_carry_api_gateway_v2_fields():
    route = template.Route("GET", "/brandbassador/webshops/{webshop}/codes")
    event = http_event("GET", "/brandbassador/webshops/demo/codes", route, {"webshop": "demo"}, "a=1&a=2&b=",
                       {"X-Api-Key": "k"})
    assert event["version"] == "2.0" and event["routeKey"] == "GET /brandbassador/webshops/{webshop}/codes"
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["headers"] == {"x-api-key": "k"}
    assert event["requestContext"]["http"]["method"] == "GET"
    assert query_parameters("") is None


def test_events_folder_matches_the_demo_samples():
    for module in samples.demo.modules():
        for name, sample in getattr(module, "SAMPLES", {}).items():
            contract = module.__name__.rsplit(".", 1)[1]
            path = samples.EVENTS_DIR / contract / f"{name}.json"
            expected = samples.sample_event(sample.get("route", getattr(module, "SAMPLE_ROUTE", None)), sample)
            assert json.loads(path.read_text()) == expected, f"run `make events`: {path} is stale"


def test_openapi_document_is_current_and_covers_every_route():
    generated = openapi.document()
    assert json.loads(openapi.OUTPUT.read_text()) == generated, "run `make openapi`: docs/openapi.json is stale"
    for function in template.functions():
        for route in function.routes:
            if route.method != "OPTIONS":  # CORS preflights: answered, not documented operations
                assert route.method.lower() in generated["paths"][route.path], route.route_key


def test_no_route_answers_cors_unless_the_brand_names_its_origins(local_stack):
    """EmbedAllowedOrigins is empty by default: no route, Affonso's included, lets another origin in."""
    import requests

    origin = {"Origin": "https://shop.example"}
    preflight = requests.options(local_stack.url + "/affonso/v1/embed/coupon", timeout=30,
                                 headers={**origin, "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers
    for path in ("/affonso/v1/embed/data?token=demo-token-jane", "/checkout/gift-cards/CHECKOUTGIFT"):
        answer = requests.get(local_stack.url + path, timeout=30, headers=origin)
        assert not any(h.lower().startswith("access-control-") for h in answer.headers), path


def test_affonsos_browser_routes_answer_cors_to_the_named_origins_only(monkeypatch):
    """With EmbedAllowedOrigins set, the embed routes' preflights and answers carry CORS headers for
    those origins; another origin, and the server-to-server token route, get none."""
    from localrun.gateway import load_module
    from tests.conftest import FakeContext

    monkeypatch.setenv("EMBED_ALLOWED_ORIGINS", "https://shop.example,https://brand.example")
    function = next(f for f in template.functions() if f.name == "AffonsoFunction")
    module = load_module(function.code_dir, function.handler, function.name)

    def preflight(path: str, origin: str) -> dict:
        event = {"version": "2.0", "routeKey": f"OPTIONS {path}", "rawPath": path, "rawQueryString": "",
                 "headers": {"origin": origin, "access-control-request-method": "POST"}, "isBase64Encoded": False,
                 "requestContext": {"http": {"method": "OPTIONS", "path": path}, "requestId": "r",
                                    "routeKey": f"OPTIONS {path}", "stage": "$default"}}
        return {k.lower(): v for k, v in module.lambda_handler(event, FakeContext())["headers"].items()}

    preflight_routes = {r.path for r in function.routes if r.method == "OPTIONS"}
    assert preflight_routes == {"/affonso/v1/embed/data", "/affonso/v1/embed/coupon"}
    for path in preflight_routes:
        for origin in ("https://shop.example", "https://brand.example"):
            assert preflight(path, origin)["access-control-allow-origin"] == origin
        assert "access-control-allow-origin" not in preflight(path, "https://evil.example")

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
            assert route.method.lower() in generated["paths"][route.path], route.route_key


def test_cors_preflight_is_answered_as_the_templates_http_api_would(local_stack):
    import requests

    preflight = requests.options(local_stack.url + "/affonso/v1/embed/coupon", timeout=30, headers={
        "Origin": "https://shop.example", "Access-Control-Request-Method": "POST"})
    config = template.load()["Resources"]["HttpApi"]["Properties"]["CorsConfiguration"]
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert preflight.headers["access-control-allow-methods"].split(",") == config["AllowMethods"]
    data = requests.get(local_stack.url + "/affonso/v1/embed/data?token=demo-token-jane", timeout=30,
                        headers={"Origin": "https://shop.example"})
    assert data.status_code == 200 and data.headers["access-control-allow-origin"] == "*"

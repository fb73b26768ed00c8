"""template.yaml's monitoring: every function alarms on Errors and Throttles, sale events that die
or wait in the dead-letter queue alarm, and every alarm notifies the one SNS topic."""

from __future__ import annotations

import json

import pytest

from localrun import template

RESOURCES = template.load()["Resources"]
ALARMS = {name: r["Properties"] for name, r in RESOURCES.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
FUNCTIONS = sorted(name for name, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function")


def _metrics(alarm: dict) -> list[tuple[str, str, dict]]:
    """(namespace, metric name, dimensions) of a plain or a metric-math alarm."""
    if "MetricName" in alarm:
        return [(alarm["Namespace"], alarm["MetricName"], {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])})]
    found = []
    for query in alarm.get("Metrics", []):
        if "MetricStat" in query:
            metric = query["MetricStat"]["Metric"]
            found.append((metric["Namespace"], metric["MetricName"],
                          {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}))
    return found


def _watching(namespace: str, metric: str, **dimensions: object) -> list[str]:
    return [name for name, alarm in ALARMS.items()
            if any(ns == namespace and m == metric and all(dims.get(k) == v for k, v in dimensions.items())
                   for ns, m, dims in _metrics(alarm))]


def test_there_are_functions_to_watch():
    assert len(FUNCTIONS) >= 6 and "SenderFunction" in FUNCTIONS


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_each_function_alarms_on_errors_and_throttles(function, metric):
    assert _watching("AWS/Lambda", metric, FunctionName={"Ref": function}), f"no {metric} alarm for {function}"


def test_the_dead_letter_queue_alarms_as_soon_as_it_holds_a_message():
    names = _watching("AWS/SQS", "ApproximateNumberOfMessagesVisible",
                      QueueName={"Fn::GetAtt": ["SalesDeadLetterQueue", "QueueName"]})
    assert names
    alarm = ALARMS[names[0]]
    assert alarm["Threshold"] == 0 and alarm["ComparisonOperator"] == "GreaterThanThreshold"


def test_dead_sales_pipe_failures_table_throttles_and_api_5xx_alarm():
    assert _watching("CouponService", "SalesDead", service="coupon-service")
    assert _watching("AWS/EventBridge/Pipes", "ExecutionFailed", PipeName={"Ref": "SalesPipe"})
    assert _watching("AWS/EventBridge/Pipes", "TargetStageFailed", PipeName={"Ref": "SalesPipe"})
    assert _watching("AWS/DynamoDB", "ThrottledRequests", TableName={"Ref": "CouponsTable"})
    assert _watching("AWS/DynamoDB", "SystemErrors", TableName={"Ref": "CouponsTable"})
    assert _watching("AWS/ApiGateway", "5xx", ApiId={"Ref": "HttpApi"})


def test_the_sender_emits_the_metric_the_dead_sales_alarm_watches():
    source = (template.ROOT / "functions" / "sender" / "app.py").read_text()
    assert 'name=f"Sales{outcome.state.capitalize()}"' in source
    from coupons.core import outbox

    assert f"Sales{outbox.DEAD.capitalize()}" == "SalesDead"


@pytest.mark.parametrize("alarm", sorted(ALARMS))
def test_every_alarm_notifies_the_topic(alarm):
    assert ALARMS[alarm]["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_the_email_subscription_is_optional():
    subscription = RESOURCES["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"]["TopicArn"] == {"Ref": "AlarmTopic"}
    assert template.load()["Parameters"]["AlarmEmail"]["Default"] == ""


@pytest.mark.parametrize("function", FUNCTIONS)
def test_reserved_concurrency_is_a_parameter_and_unreserved_by_default(function):
    reserved = RESOURCES[function]["Properties"]["ReservedConcurrentExecutions"]
    _condition, value, otherwise = reserved["Fn::If"]
    assert otherwise == {"Ref": "AWS::NoValue"}
    assert template.load()["Parameters"][value["Ref"]]["Default"] == ""


def test_route_throttling_is_a_parameter():
    settings = RESOURCES["HttpApi"]["Properties"]["DefaultRouteSettings"]
    assert settings == {"ThrottlingBurstLimit": {"Ref": "ApiThrottlingBurstLimit"},
                        "ThrottlingRateLimit": {"Ref": "ApiThrottlingRateLimit"}}


def test_traces_capture_neither_responses_nor_errors():
    variables = template.load()["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false"
    assert variables["POWERTOOLS_TRACER_CAPTURE_ERROR"] == "false"


def test_the_dashboard_has_requests_outcomes_and_latency_for_every_function():
    body = RESOURCES["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    widgets = json.loads(body)["widgets"]
    titles = " | ".join(w["properties"].get("title", "") for w in widgets)
    for function in FUNCTIONS:
        shown = [w for w in widgets if f"${{{function}}}" in json.dumps(w)]
        kinds = {w["properties"]["title"].split(": ")[1].split(" ")[0] for w in shown}
        assert {"requests", "latency"} <= kinds, (function, titles)
    emitted = _emitted_metrics()
    on_dashboard = {m[1] for w in widgets for m in w["properties"].get("metrics", []) if m[0] == "CouponService"}
    assert emitted <= on_dashboard, emitted - on_dashboard


def _emitted_metrics() -> set[str]:
    import re

    names = set()
    for app in (template.ROOT / "functions").glob("*/app.py"):
        names |= set(re.findall(r'add_metric\(name="(\w+)"', app.read_text()))
    return names | {"SalesDelivered", "SalesPending", "SalesDead"}

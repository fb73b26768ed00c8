"""Fixtures shared by every contract's tests.

- ``table``: a fresh moto table per test, created from template.yaml's own definition.
- ``demo_table``: the same, with the demo configuration ``make run`` seeds.
- ``handler``: a function's Lambda handler, imported as Lambda would, bound to the moto table.
- ``local_stack``: DynamoDB Local + the local HTTP gateway, started once per test session.
- KMS: moto's server in a child process, once per test process (``localrun.kms_local``), for every
  table, moto's or DynamoDB Local's (moto's ``mock_aws`` lets calls to its endpoint through).
"""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

# Before anything imports boto3 or Powertools: no real AWS, no X-Ray, a metrics namespace.
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="us-east-1",
    COUPONS_TABLE="coupons-test",
    POWERTOOLS_TRACE_DISABLED="true",
    POWERTOOLS_METRICS_NAMESPACE="CouponService",
    POWERTOOLS_SERVICE_NAME="coupon-service",
    POWERTOOLS_LOG_LEVEL="WARNING",
)
os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)

import boto3
import pytest
import requests
from moto import mock_aws

from coupons.core import cache
from coupons.core.observability import logger
from coupons.core.table import Table
from localrun import demo, kms_local, template
from localrun.dynamodb_local import create_table, local_environment, running
from localrun.gateway import LocalGateway, load_module

EVENTS = template.ROOT / "events"
TABLE_NAME = "coupons-test"


@pytest.fixture(autouse=True)
def _nothing_remembered_between_tests() -> Iterator[None]:
    """Every test starts with the process caches a new Lambda instance has: none. (The suite runs
    in random order, pytest-randomly, so no test may lean on what another one left behind.)"""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session", autouse=True)
def local_kms() -> Iterator[kms_local.LocalKms]:
    """The partner-secrets key (coupons.core.sealed) for this process and the local stacks' workers."""
    with kms_local.running() as kms:
        os.environ.update(kms.environment())
        yield kms


@pytest.fixture
def table() -> Iterator[Table]:
    with mock_aws():
        client = boto3.client("dynamodb")
        create_table(client, TABLE_NAME)
        yield Table(TABLE_NAME, client)


@pytest.fixture
def demo_table(table: Table) -> Table:
    demo.seed(table)
    return table


class FakeContext:
    function_name = "test"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test"
    aws_request_id = "test-request"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000


_modules: dict[str, Any] = {}


def _function(name: str) -> template.Function:
    return next(f for f in template.functions() if f.name == name)


@pytest.fixture
def handler(demo_table: Table) -> Callable[[str], Callable[[dict], dict]]:
    """``handler("BrandbassadorFunction")(event)`` -> the Lambda's response dict, on the moto table."""

    def bind(function_name: str) -> Callable[[dict], dict]:
        if function_name not in _modules:
            f = _function(function_name)
            _modules[function_name] = load_module(f.code_dir, f.handler, f.name)
        module = _modules[function_name]
        module.table = demo_table  # the module-level Table the handler was built with

        def invoke(event: dict) -> dict:
            return module.lambda_handler(event, FakeContext())

        return invoke

    return bind


def load_event(contract: str, name: str) -> dict:
    return json.loads((EVENTS / contract / f"{name}.json").read_text())


def event_names(contract: str) -> list[str]:
    return sorted(p.stem for p in (EVENTS / contract).glob("*.json"))


def body(response: dict) -> Any:
    return json.loads(response["body"])


@dataclass
class LocalStack:
    url: str
    table: Table
    engine_kind: str

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(self.url + path, timeout=30, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.post(self.url + path, timeout=30, **kwargs)


@pytest.fixture(scope="session")
def local_stack() -> Iterator[LocalStack]:
    """DynamoDB Local with the demo configuration, and every route of template.yaml over HTTP."""
    with running() as engine:
        client = engine.client()
        create_table(client, "coupons-local")
        table = Table("coupons-local", client)
        demo.seed(table)
        # The workers get the engine's endpoint; this process's environment stays on moto.
        gateway = LocalGateway(
            "coupons-local", port=0, workers_per_function=4, environment=local_environment(engine)
        )
        gateway.start()
        try:
            yield LocalStack(gateway.url, table, engine.kind)
        finally:
            gateway.close()


BROWSER_SKIPPED = "BROWSER TESTS SKIPPED"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """A skipped browser test is easy to miss among dots: say it in a banner at the end."""
    reasons = {str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
               for report in terminalreporter.stats.get("skipped", [])
               if BROWSER_SKIPPED in str(report.longrepr)}
    if reasons:
        terminalreporter.write_sep("!", BROWSER_SKIPPED, red=True, bold=True)
        for reason in sorted(reasons):
            terminalreporter.write_line(reason, red=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that uses the local stack is a ``local_stack`` test whether or not it says so, so
    that ``make unit`` (``-m "not local_stack"``) never starts DynamoDB Local."""
    for item in items:
        if "local_stack" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.local_stack)


class CountingClient:
    """A DynamoDB client that records the name of every operation called on it (``calls``)."""

    def __init__(self, client):
        self._client, self.calls = client, []

    def __getattr__(self, name):
        self.calls.append(name)
        return getattr(self._client, name)


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    """What the functions log at INFO, formatted as in Lambda (the suite runs at WARNING)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    level = logger.log_level
    logger.addHandler(handler)
    logger.setLevel("INFO")
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(level)

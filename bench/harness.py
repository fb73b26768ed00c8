"""What every contract's benchmark shares: a DynamoDB Local engine, in-process handlers bound to
a counted client, throughput and cold-import timing."""

from __future__ import annotations

import contextlib
import functools
import io
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from coupons.core.table import Table
from localrun import demo, template
from localrun.dynamodb_local import Engine, create_table, local_environment
from localrun.gateway import load_module, resolve_environment


@dataclass
class Row:
    section: str  # e.g. "brandbassador"
    case: str  # e.g. "create percent code"
    metric: str  # e.g. "requests/s", "DynamoDB calls", "ratio"
    value: float | int | str
    target: str = ""  # e.g. "<= 1.5"; empty when there is none

    def cells(self) -> list[str]:
        value = f"{self.value:,.2f}" if isinstance(self.value, float) else str(self.value)
        return [self.section, self.case, self.metric, value, self.target]


class CallCounter:
    """Counts DynamoDB calls per operation and sums the capacity units DynamoDB reports back."""

    def __init__(self, client: Any):
        self.calls: Counter[str] = Counter()
        self.capacity = 0.0
        client.meta.events.register("after-call.dynamodb", self._after_call)

    def _after_call(self, http_response: Any, parsed: dict, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1
        consumed = parsed.get("ConsumedCapacity")
        for entry in consumed if isinstance(consumed, list) else [consumed] if consumed else []:
            self.capacity += float(entry.get("CapacityUnits", 0))

    def reset(self) -> None:
        self.calls.clear()
        self.capacity = 0.0

    @property
    def total(self) -> int:
        return sum(self.calls.values())


@dataclass
class Context:
    engine: Engine
    table: Table  # fresh table with the demo configuration, its client counted
    counter: CallCounter
    _handlers: dict[str, Callable] = field(default_factory=dict)

    def handler(self, function_name: str) -> Callable[[dict], dict]:
        """The function's Lambda handler, imported in this process and bound to ``self.table``."""
        if function_name not in self._handlers:
            function = next(f for f in template.functions() if f.name == function_name)
            os.environ.update(resolve_environment(function, self.table.name, local_environment(self.engine)))
            os.environ["POWERTOOLS_TRACE_DISABLED"] = "true"
            os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
            os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"
            module = load_module(function.code_dir, function.handler, function.name)
            module.table = self.table
            lambda_handler = getattr(module, function.handler.rsplit(".", 1)[1])

            def invoke(event: dict) -> dict:
                with contextlib.redirect_stdout(_SINK):  # EMF metrics and logs are not the measurement
                    return lambda_handler(event, _Context())

            self._handlers[function_name] = invoke
        return self._handlers[function_name]

    def measure(self, action: Callable[[], Any]) -> tuple[int, float, Counter[str]]:
        """Run ``action`` once; DynamoDB calls, capacity units and calls per operation it took."""
        self.counter.reset()
        action()
        return self.counter.total, self.counter.capacity, Counter(self.counter.calls)


class _Sink(io.TextIOBase):
    def write(self, text: str) -> int:
        return len(text)


_SINK = _Sink()


class _Context:
    function_name = "bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id = "bench"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000


def new_context(engine: Engine) -> Context:
    client = engine.client()
    name = f"bench-{uuid.uuid4().hex[:8]}"
    create_table(client, name)
    table = Table(name, client)
    demo.seed(table)
    return Context(engine, table, CallCounter(client))


def per_second(action: Callable[[int], Any], n: int) -> float:
    """Sequential operations per second (one caller, as one Lambda instance serves one request)."""
    action(-1)  # warm: connections and lazy imports
    start = time.perf_counter()
    for i in range(n):
        action(i)
    return n / (time.perf_counter() - start)


def cold_import_seconds(code: str, env: dict[str, str], runs: int = 11) -> float:
    """Median time of ``code`` in fresh interpreters: what a Lambda cold start pays for imports."""
    timed = f"import time as _t\n_s = _t.perf_counter()\n{code}\nprint(_t.perf_counter() - _s)"
    samples = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", timed], env={**os.environ, **env}, capture_output=True,
                             text=True, check=True)
        samples.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(samples)


# What a deployed function has: Lambda's name (so Powertools' Tracer is on) and its POWERTOOLS_*.
_LAMBDA_ENV = {
    "COUPONS_TABLE": "bench", "AWS_DEFAULT_REGION": "us-east-1", "AWS_LAMBDA_FUNCTION_NAME": "bench",
    "POWERTOOLS_SERVICE_NAME": "coupon-service", "POWERTOOLS_METRICS_NAMESPACE": "CouponService",
}


@functools.cache
def _bare_boto3_seconds() -> float:
    return cold_import_seconds("import boto3; boto3.client('dynamodb')", _LAMBDA_ENV)


def cold_import_rows(section: str, function: str) -> list[Row]:
    """Cold import of ``functions/<function>/app.py`` (tracer on, as deployed, and off) against
    ``import boto3; boto3.client("dynamodb")`` alone, which every handler pays for anyway."""
    code_dir, layer = template.ROOT / "functions" / function, template.ROOT / "layers" / "shared"
    code = f"import sys; sys.path[:0] = [{str(code_dir)!r}, {str(layer)!r}]\nimport app"
    traced = cold_import_seconds(code, _LAMBDA_ENV)
    untraced = cold_import_seconds(code, {**_LAMBDA_ENV, "POWERTOOLS_TRACE_DISABLED": "true"})
    bare = _bare_boto3_seconds()
    case = f"cold import: {function} handler"
    return [
        Row(section, f"{case} (tracer on, as deployed)", "ms (median of 11)", traced * 1000),
        Row(section, f"{case}, tracer off", "ms (median of 11)", untraced * 1000),
        Row(section, "cold import: boto3 + dynamodb client alone", "ms (median of 11)", bare * 1000),
        Row(section, f"{case} / bare boto3 (tracer on)", "ratio", traced / bare, "<= 1.5"),
        Row(section, f"{case} / bare boto3 (tracer off)", "ratio", untraced / bare, "<= 1.5"),
    ]


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10].upper()}"

"""What every contract's benchmark shares: a DynamoDB Local engine, in-process handlers bound to
a counted client, throughput (cold starts: bench/coldstart.py)."""

from __future__ import annotations

import contextlib
import copy
import io
import os
import statistics
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

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
    """Counts DynamoDB calls per operation and sums the capacity units DynamoDB reports back; also
    per thread (``thread_calls``), for the cost of one operation among many in parallel."""

    def __init__(self, client: Any):
        self.calls: Counter[str] = Counter()
        self.capacity = 0.0
        self._thread = threading.local()
        client.meta.events.register("after-call.dynamodb", self._after_call)

    def thread_calls(self) -> int:
        """Calls made by the current thread since its previous ``thread_calls`` (botocore's
        after-call event runs in the calling thread)."""
        n = getattr(self._thread, "calls", 0)
        self._thread.calls = 0
        return n

    def _after_call(self, http_response: Any, parsed: dict, model: Any, **_: Any) -> None:
        self._thread.calls = getattr(self._thread, "calls", 0) + 1
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

    def record_calls(self, action: Callable[[], Any]) -> list[tuple[str, dict[str, Any]]]:
        """Run ``action`` once; each DynamoDB request it sent (operation, parameters), to replay bare."""
        sent: list[tuple[str, dict[str, Any]]] = []

        def keep(params: dict, model: Any, **_: Any) -> None:
            sent.append((model.name, copy.deepcopy(params)))

        events = self.table.client.meta.events
        events.register("provide-client-params.dynamodb", keep)
        try:
            action()
        finally:
            events.unregister("provide-client-params.dynamodb", keep)
        return sent

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


def rates_in_turns(actions: dict[str, Callable[[int], Any]], n: int, warm: int = 20) -> dict[str, float]:
    """Requests/s of each action (one caller, as one Lambda instance serves one request), from its
    median latency over ``n`` calls. The actions take turns call by call, the first of each turn
    rotating, after ``warm`` calls each (connections, lazy imports, DynamoDB Local's JIT): a machine
    shared with other work, or an engine warming up, weighs on every action alike, and the median
    leaves out the stalls that hit single calls."""
    for action in actions.values():
        for i in range(-warm, 0):
            action(i)
    names = list(actions)
    latencies: dict[str, list[float]] = {name: [] for name in names}
    for i in range(n):
        for name in names[i % len(names):] + names[:i % len(names)]:
            start = time.perf_counter()
            actions[name](i)
            latencies[name].append(time.perf_counter() - start)
    return {name: 1 / statistics.median(values) for name, values in latencies.items()}


def own_share(handler: Callable[[int], Any], bare: Callable[[int], Any], n: int) -> dict[str, float]:
    """Median milliseconds of one handler request, of the DynamoDB calls inside it (timed around
    ``Table.call``), and of the same calls sent bare, the two taken in turns: what the handler's own
    work costs per request, apart from the calls it makes."""
    inside: list[float] = []
    real = Table.call

    def timed(self: Table, operation: str, **kwargs: Any) -> dict[str, Any]:
        start = time.perf_counter()
        try:
            return real(self, operation, **kwargs)
        finally:
            inside.append(time.perf_counter() - start)

    total, bare_times, per_request_inside = [], [], []
    with mock.patch.object(Table, "call", timed):
        for i in range(n):
            inside.clear()
            start = time.perf_counter()
            handler(i)
            total.append(time.perf_counter() - start)
            per_request_inside.append(sum(inside))
            start = time.perf_counter()
            bare(i)
            bare_times.append(time.perf_counter() - start)
    ms = lambda values: statistics.median(values) * 1000  # noqa: E731
    return {"handler": ms(total), "calls inside": ms(per_request_inside), "bare": ms(bare_times),
            "own work": statistics.median(t - c for t, c in zip(total, per_request_inside, strict=True)) * 1000}


def percentile(values: list[int] | list[float], p: float) -> float:
    """The nearest-rank percentile (p in 0..100) of ``values``."""
    ordered = sorted(values)
    rank = int(-(-len(ordered) * p // 100))  # ceil(n * p / 100)
    return ordered[max(0, min(len(ordered) - 1, rank - 1))]


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10].upper()}"

"""Cold start as Lambda pays it, for every handler in template.yaml (functions/*/app.py).

The layer and the functions are built by their own Makefiles (tools/lambda-build.mk, what
`sam build` runs) for this machine's platform, then imported in fresh interpreters that see only
the built folders and the standard library and write no bytecode (-I -S -B): Lambda's /opt and
/var/task are read-only, so what is not shipped compiled is compiled again at every cold start.
Two builds: as shipped (with .pyc) and the same folders without any __pycache__ (what a build
without compiling ships). Each is compared with the floor every Python handler pays anyway,
``import boto3; boto3.client("dynamodb")`` from the same build, in the same rounds: every round
runs every case once (A B C D E, A B C D E ...), so ratios pair runs made moments apart.

Lambda's reserved environment variables are set (bench/artifacts.LAMBDA_ENV), so libraries take
their Lambda paths. Beside the import, a cold start pays its first request: our models build their
validators on first use (core/base_model.py), so "import + first request" (one events/ sample,
on DynamoDB Local) is measured too. ``bench/reference_app.py``, the mandated stack with none of our
code, is measured the same way: the part of a ratio that is ours is the difference.

BENCH_COLD_RUNS (default 11) sets the rounds per handler."""

from __future__ import annotations

import os
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import artifacts
from bench.harness import Context, Row
from localrun import template
from localrun.demo import checkout as checkout_demo
from localrun.dynamodb_local import local_environment
from localrun.gateway import resolve_environment

SECTION = "cold start"
RUNS = int(os.environ.get("BENCH_COLD_RUNS", "11"))
TARGET = "<= 1.3"
ROOT = artifacts.ROOT

_summary: list[dict[str, Any]] = []


# The request a cold start of each function meets first, from events/ (None: import only; the
# sender's sample would deliver to a webhook).
FIRST_REQUEST = {
    "BrandbassadorFunction": "brandbassador/percent-code",
    "SiteVibesFunction": "sitevibes/coupon",
    "AffonsoFunction": "affonso/token",
    "CheckoutFunction": "checkout/validate-percent",
    "FriendbuyFunction": "friendbuy/authorization",
    "SenderFunction": None,
}
REFERENCE = "reference (Powertools + pydantic + boto3, none of our code)"

_CONTEXT = """
class _Context:
    function_name = "bench"; function_version = "$LATEST"; memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"; aws_request_id = "bench"
    @staticmethod
    def get_remaining_time_in_millis(): return 10_000
"""


def run(ctx: Context | None = None) -> list[Row]:
    _summary.clear()
    rows: list[Row] = []
    if ctx is not None:
        checkout_demo.add_sample_codes(ctx.table)  # the code checkout's first request validates
    with tempfile.TemporaryDirectory(prefix="coldstart-") as tmp:
        shipped, layer = artifacts.build_for_host(Path(tmp) / "pyc")
        bare_layer = artifacts.without_bytecode(layer, Path(tmp) / "nopyc" / "layer")
        reference = artifacts.build_reference(Path(__file__).with_name("reference_app.py"), Path(tmp) / "reference")
        rows += _measure_reference(reference, layer)
        for function in template.functions():
            bare_function = artifacts.without_bytecode(shipped[function.name], Path(tmp) / "nopyc" / function.name)
            first = _first_request(function, ctx)
            rows += _measure(function, (shipped[function.name], layer), (bare_function, bare_layer), first)
    return rows


def _first_request(function: template.Function, ctx: Context | None) -> tuple[str, dict[str, str]] | None:
    """The statement and environment of "import, then the function's first request" on ``ctx``'s table."""
    sample = FIRST_REQUEST.get(function.name)
    if ctx is None or sample is None:
        return None
    event = (ROOT / "events" / f"{sample}.json").read_text()
    module, handler = function.handler.rsplit(".", 1)
    statement = (f"import json\nimport {module}\n{_CONTEXT}\n"
                 f"_r = {module}.{handler}(json.loads({event!r}), _Context())\n"
                 "assert _r.get('statusCode', 200) < 500, _r\n")
    env = resolve_environment(function, ctx.table.name, local_environment(ctx.engine))
    return statement, {**env, "POWERTOOLS_LOG_LEVEL": "ERROR"}


def _measure_reference(reference: Path, layer: Path) -> list[Row]:
    samples: dict[str, list[float]] = {"reference": [], "floor": []}
    for _ in range(RUNS):
        samples["reference"].append(_time(reference, layer, "import app"))
        samples["floor"].append(_time(reference, layer, artifacts.FLOOR_STATEMENT))
    figures: dict[str, Any] = {
        "function": REFERENCE, "pyc": statistics.median(samples["reference"]) * 1000,
        "floor_pyc": statistics.median(samples["floor"]) * 1000,
        "ratio_pyc": statistics.median(a / b for a, b in zip(samples["reference"], samples["floor"], strict=True)),
    }
    _summary.append(figures)
    return [
        Row(SECTION, f"{REFERENCE}: import, .pyc shipped", f"ms (median of {RUNS})", figures["pyc"]),
        Row(SECTION, f"{REFERENCE}: reference / floor", "ratio (paired median)", figures["ratio_pyc"]),
    ]


def _measure(function: template.Function, pyc: tuple[Path, Path], nopyc: tuple[Path, Path],
             first: tuple[str, dict[str, str]] | None) -> list[Row]:
    handler, floor = artifacts.handler_statement(function), artifacts.FLOOR_STATEMENT
    untraced = {"POWERTOOLS_TRACE_DISABLED": "true"}
    cases: dict[str, Callable[[], float]] = {
        "handler pyc": lambda: _time(*pyc, handler),
        "floor pyc": lambda: _time(*pyc, floor),
        "handler nopyc": lambda: _time(*nopyc, handler),
        "floor nopyc": lambda: _time(*nopyc, floor),
        "handler pyc untraced": lambda: _time(*pyc, handler, untraced),
    }
    if first is not None:
        cases["first request pyc"] = lambda: _time(*pyc, first[0], first[1])
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(RUNS):
        for name, case in cases.items():
            samples[name].append(case())

    def median(name: str) -> float:
        return statistics.median(samples[name]) * 1000

    def paired(a: str, b: str) -> float:
        return statistics.median(x / y for x, y in zip(samples[a], samples[b], strict=True))

    name = function.name
    figures: dict[str, Any] = {
        "function": name, "pyc": median("handler pyc"), "nopyc": median("handler nopyc"),
        "floor_pyc": median("floor pyc"), "floor_nopyc": median("floor nopyc"),
        "untraced": median("handler pyc untraced"),
        "ratio_pyc": paired("handler pyc", "floor pyc"), "ratio_nopyc": paired("handler nopyc", "floor nopyc"),
        "ratio_nopyc_vs_floor_pyc": paired("handler nopyc", "floor pyc"),
        "gain": paired("handler nopyc", "handler pyc"),
        "first": median("first request pyc") if first is not None else None,
    }
    _summary.append(figures)
    unit = f"ms (median of {RUNS})"
    rows = [
        Row(SECTION, f"{name}: import, .pyc shipped (tracer on, as deployed)", unit, figures["pyc"]),
        Row(SECTION, f"{name}: import, no .pyc (tracer on)", unit, figures["nopyc"]),
        Row(SECTION, f"{name}: import, .pyc shipped, tracer off", unit, figures["untraced"]),
        Row(SECTION, f"{name}: floor boto3 + dynamodb client, .pyc / no .pyc", unit,
            f"{figures['floor_pyc']:,.2f} / {figures['floor_nopyc']:,.2f}"),
        Row(SECTION, f"{name}: handler / floor, .pyc shipped", "ratio (paired median)", figures["ratio_pyc"], TARGET),
        Row(SECTION, f"{name}: handler / floor, no .pyc", "ratio (paired median)", figures["ratio_nopyc"], TARGET),
        Row(SECTION, f"{name}: no .pyc / .pyc shipped", "ratio (paired median)", figures["gain"]),
    ]
    if first is not None:
        rows.append(Row(SECTION, f"{name}: import + first request ({FIRST_REQUEST[name]}), .pyc shipped", unit,
                        figures["first"]))
    return rows


def _time(function_dir: Path, layer_dir: Path, statement: str, env: dict[str, str] | None = None) -> float:
    return float(artifacts.run_probe(function_dir, layer_dir, statement, env=env))


def summary() -> str:
    """Per-handler table for bench/results/latest.md."""
    if not _summary:
        return ""
    lines = [
        "## Cold start as Lambda pays it (read-only build, fresh interpreter)",
        "",
        f"Median of {RUNS} rounds; ratios are medians of per-round ratios against the floor "
        "`import boto3; boto3.client(\"dynamodb\")` from the same build. Tracer on, as deployed.",
        "",
        "| handler | .pyc shipped (ms) | floor (ms) | ratio | no .pyc (ms) | floor no .pyc (ms) | ratio | "
        "no .pyc / shipped | import + first request (ms) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for f in _summary:
        if f["function"] == REFERENCE:
            lines.append(f"| {REFERENCE} | {f['pyc']:.1f} | {f['floor_pyc']:.1f} | {f['ratio_pyc']:.2f} | | | | | |")
            continue
        first = f"{f['first']:.1f}" if f.get("first") is not None else "n/a"
        lines.append(
            f"| {f['function']} | {f['pyc']:.1f} | {f['floor_pyc']:.1f} | {f['ratio_pyc']:.2f} | {f['nopyc']:.1f} "
            f"| {f['floor_nopyc']:.1f} | {f['ratio_nopyc']:.2f} | {f['gain']:.2f} | {first} |"
        )
    return "\n".join(lines)

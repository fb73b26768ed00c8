"""Cold start as Lambda pays it, for every handler in template.yaml (functions/*/app.py).

The layer and the functions are built by their own Makefiles (tools/lambda-build.mk, what
`sam build` runs) for this machine's platform, then imported in fresh interpreters that see only
the built folders and the standard library and write no bytecode (-I -S -B): Lambda's /opt and
/var/task are read-only, so what is not shipped compiled is compiled again at every cold start.
Two builds: as shipped (with .pyc) and the same folders without any __pycache__ (what a build
without compiling ships). Each is compared with the floor every Python handler pays anyway,
``import boto3; boto3.client("dynamodb")`` from the same build, in the same rounds: every round
runs every case once (A B C D E, A B C D E ...), so ratios pair runs made moments apart.

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

SECTION = "cold start"
RUNS = int(os.environ.get("BENCH_COLD_RUNS", "11"))
TARGET = "<= 1.5"

_summary: list[dict[str, Any]] = []


def run(ctx: Context | None = None) -> list[Row]:
    _summary.clear()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="coldstart-") as tmp:
        shipped, layer = artifacts.build_for_host(Path(tmp) / "pyc")
        bare_layer = artifacts.without_bytecode(layer, Path(tmp) / "nopyc" / "layer")
        for function in template.functions():
            bare_function = artifacts.without_bytecode(shipped[function.name], Path(tmp) / "nopyc" / function.name)
            rows += _measure(function, (shipped[function.name], layer), (bare_function, bare_layer))
    return rows


def _measure(function: template.Function, pyc: tuple[Path, Path], nopyc: tuple[Path, Path]) -> list[Row]:
    handler, floor = artifacts.handler_statement(function), artifacts.FLOOR_STATEMENT
    untraced = {"POWERTOOLS_TRACE_DISABLED": "true"}
    cases: dict[str, Callable[[], float]] = {
        "handler pyc": lambda: _time(*pyc, handler),
        "floor pyc": lambda: _time(*pyc, floor),
        "handler nopyc": lambda: _time(*nopyc, handler),
        "floor nopyc": lambda: _time(*nopyc, floor),
        "handler pyc untraced": lambda: _time(*pyc, handler, untraced),
    }
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
    }
    _summary.append(figures)
    unit = f"ms (median of {RUNS})"
    return [
        Row(SECTION, f"{name}: import, .pyc shipped (tracer on, as deployed)", unit, figures["pyc"]),
        Row(SECTION, f"{name}: import, no .pyc (tracer on)", unit, figures["nopyc"]),
        Row(SECTION, f"{name}: import, .pyc shipped, tracer off", unit, figures["untraced"]),
        Row(SECTION, f"{name}: floor boto3 + dynamodb client, .pyc / no .pyc", unit,
            f"{figures['floor_pyc']:,.2f} / {figures['floor_nopyc']:,.2f}"),
        Row(SECTION, f"{name}: handler / floor, .pyc shipped", "ratio (paired median)", figures["ratio_pyc"], TARGET),
        Row(SECTION, f"{name}: handler / floor, no .pyc", "ratio (paired median)", figures["ratio_nopyc"], TARGET),
        Row(SECTION, f"{name}: no .pyc / .pyc shipped", "ratio (paired median)", figures["gain"]),
    ]


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
        "no .pyc / shipped |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for f in _summary:
        lines.append(
            f"| {f['function']} | {f['pyc']:.1f} | {f['floor_pyc']:.1f} | {f['ratio_pyc']:.2f} | {f['nopyc']:.1f} "
            f"| {f['floor_nopyc']:.1f} | {f['ratio_nopyc']:.2f} | {f['gain']:.2f} |"
        )
    return "\n".join(lines)

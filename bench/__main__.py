"""``python -m bench [contract ...]``: run the benchmarks and print one table."""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from pathlib import Path

import bench
from bench.harness import Row, new_context
from localrun import kms_local
from localrun.dynamodb_local import local_environment, running

SKIP = {"harness", "artifacts", "load", "liability"}  # liability: its own command, python -m bench.liability


def main(argv: list[str]) -> None:
    names = argv or [m.name for m in pkgutil.iter_modules(bench.__path__) if m.name not in SKIP and not m.name.startswith("_")]
    rows: list[Row] = []
    summaries: list[str] = []
    for name in names:
        # A fresh engine per bench: DynamoDB Local (one JVM, in memory) slowed to a tenth of its rate
        # in the million-code generation when it ran after the other benches in the same engine. Each
        # bench makes its own table, and once one stream-enabled table holds ~20,000 stream records,
        # writes to a second one run ~10x slower (229 codes/s, against 2,113 when the first had no stream).
        module = importlib.import_module(f"bench.{name}")
        # A throughput bench may ask for DynamoDB Local on one CPU (localrun.dynamodb_local.running).
        # KMS (moto, localrun.kms_local): the demo seed seals its partner secrets.
        with running(pinned=getattr(module, "PINNED_ENGINE", False)) as engine, kms_local.running() as kms:
            # Local credentials before the demo seed: it seals partner secrets through KMS, and a fresh
            # machine has no AWS credentials for boto3 to find.
            os.environ.update({**local_environment(engine), **kms.environment()})
            pinned = f", pinned to CPU {engine.cpu}" if engine.cpu is not None else ""
            print(f"bench {name} ... (DynamoDB: {engine.kind} at {engine.endpoint}{pinned})", file=sys.stderr, flush=True)
            done = module.run(new_context(engine))
        print(_markdown(done), file=sys.stderr, flush=True)  # each contract as soon as it is measured
        rows.extend(done)
        if hasattr(module, "summary"):  # a bench's own per-case table, after the common one
            summaries.append(module.summary())
    report = "\n\n".join([_markdown(rows), *filter(None, summaries)])
    print(report)
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.md").write_text(report + "\n")


def _markdown(rows: list[Row]) -> str:
    header = ["contract", "case", "metric", "value", "target"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    main(sys.argv[1:])

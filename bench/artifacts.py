"""Built artifacts as Lambda loads them: the layer and function folders `sam build` makes (or the
same Makefile recipe built for this machine's platform), imported in a fresh interpreter that sees
nothing else: no site-packages, no bytecode written (Lambda's /opt and /var/task are read-only).

Used by ``bench.coldstart`` (timing) and ``tests/spine/test_built_artifacts.py`` (every module a
handler imports has its .pyc in the build)."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from localrun import template

ROOT = template.ROOT
SAM_BUILD = ROOT / ".aws-sam" / "build"
LAYER = "SharedLayer"

# What a deployed function has: Lambda's name (so Powertools' Tracer is on) and its POWERTOOLS_*.
# What Lambda sets in every execution environment (its documented reserved variables), so that
# libraries take their Lambda paths: the X-Ray SDK, seeing LAMBDA_TASK_ROOT, samples locally instead
# of building an X-Ray API client at import (80-130 ms here without it, which Lambda never pays).
# LAMBDA_TASK_ROOT is set per probe to the function's folder; _X_AMZN_TRACE_ID is per invocation.
LAMBDA_ENV = {
    "COUPONS_TABLE": "bench", "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
    "AWS_LAMBDA_FUNCTION_NAME": "bench", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512", "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
    "AWS_EXECUTION_ENV": f"AWS_Lambda_{template.load()['Globals']['Function']['Runtime']}", "LAMBDA_RUNTIME_DIR": "/var/runtime",
    "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
    "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
    "POWERTOOLS_SERVICE_NAME": "coupon-service", "POWERTOOLS_METRICS_NAMESPACE": "CouponService",
}

# -I: no PYTHON* variables, no user site, no current folder; -S: no site-packages;
# -B: never write bytecode (what a read-only filesystem amounts to).
INTERPRETER = [sys.executable, "-I", "-S", "-B"]

# The probe: sys.path is the function's folder, then the layer's python/ (as Lambda orders
# /var/task before /opt/python), then the standard library. ``HostExtensions`` (only when the build
# is for another platform, e.g. aarch64 wheels on an x86_64 machine) finds a compiled extension the
# layer holds for Lambda's platform in this machine's site-packages instead: same pinned versions.
PROBE = r'''
import importlib.machinery, json, os, sys, time
function_dir, layer_dir, host_dir, statement, mode = sys.argv[1:6]

class HostExtensions:
    @staticmethod
    def find_spec(name, path=None, target=None):
        parent = name.rpartition(".")[0]
        where = [os.path.join(host_dir, *parent.split("."))] if parent else [host_dir]
        spec = importlib.machinery.PathFinder.find_spec(name, where)
        if spec is not None and isinstance(spec.loader, importlib.machinery.ExtensionFileLoader):
            return spec
        return None

if host_dir:
    sys.meta_path.append(HostExtensions)
sys.path[:0] = [function_dir, layer_dir]
start = time.perf_counter()
exec(statement)
elapsed = time.perf_counter() - start
if mode == "files":
    print(json.dumps(sorted({m.__file__ for m in list(sys.modules.values()) if getattr(m, "__file__", None)})))
else:
    print(elapsed)
'''


def host_platform() -> str:
    return "manylinux2014_aarch64" if platform.machine() in ("aarch64", "arm64") else "manylinux2014_x86_64"


def host_site_packages() -> str:
    return sysconfig.get_paths()["platlib"]


def handler_statement(function: template.Function) -> str:
    return f"import {function.handler.rsplit('.', 1)[0]}"


FLOOR_STATEMENT = "import boto3; boto3.client('dynamodb')"


def run_probe(function_dir: Path, layer_dir: Path, statement: str, *, mode: str = "time",
              foreign: bool = False, env: dict[str, str] | None = None) -> str:
    args = [str(function_dir), str(layer_dir), host_site_packages() if foreign else "", statement, mode]
    environment = {**os.environ, **LAMBDA_ENV, "LAMBDA_TASK_ROOT": str(function_dir), **(env or {})}
    done = subprocess.run([*INTERPRETER, "-c", PROBE, *args], env=environment, capture_output=True, text=True, timeout=120)
    if done.returncode:
        raise RuntimeError(f"probe failed for {function_dir.name}: {done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


def imported_files(function_dir: Path, layer_dir: Path, function: template.Function, *,
                   foreign: bool = False) -> list[str]:
    """Every file the handler module's import loaded, in a fresh interpreter on the built folders."""
    return json.loads(run_probe(function_dir, layer_dir, handler_statement(function), mode="files",
                                foreign=foreign))


def build_for_host(dest: Path) -> tuple[dict[str, Path], Path]:
    """The layer and every function built by their own Makefiles (tools/lambda-build.mk) into
    ``dest``, with wheels for this machine's platform instead of Lambda's: same code, same .pyc."""
    dest.mkdir(parents=True, exist_ok=True)
    make = ["make", "--no-print-directory", f"PLATFORM={host_platform()}", f"PYTHON={sys.executable}"]
    functions = {}
    for function in template.functions():
        out = dest / function.name
        out.mkdir(exist_ok=True)
        subprocess.run([*make, "--makefile", str(function.code_dir / "Makefile"), f"build-{function.name}",
                        f"ARTIFACTS_DIR={out}"], cwd=function.code_dir, check=True, stdout=subprocess.DEVNULL)
        functions[function.name] = out
    layer = dest / LAYER
    layer.mkdir(exist_ok=True)
    subprocess.run([*make, "--makefile", str(ROOT / "layers" / "shared" / "Makefile"), f"build-{LAYER}",
                    f"ARTIFACTS_DIR={layer}"], cwd=ROOT / "layers" / "shared", check=True, stdout=subprocess.DEVNULL)
    return functions, layer / "python"


def without_bytecode(src: Path, dst: Path) -> Path:
    """A copy of a built folder without any __pycache__: what Lambda gets when no .pyc is shipped."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
    return dst


def build_reference(source: Path, dest: Path) -> Path:
    """``source`` as a function folder of its own (``app.py``), compiled as tools/lambda-build.mk does."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, dest / "app.py")
    subprocess.run([sys.executable, "-m", "compileall", "-q", "-f", "--invalidation-mode", "unchecked-hash", str(dest)],
                   check=True, stdout=subprocess.DEVNULL)
    return dest

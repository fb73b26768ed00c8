"""What `sam build` ships: every module a handler imports has its .pyc beside it, compiled by the
runtime's Python, so a cold start on Lambda's read-only filesystem loads bytecode instead of
compiling source. Relies on the `sam build` that `make test` (`make lint`) runs first."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from bench import artifacts
from localrun import template

pytestmark = [
    pytest.mark.template,
    pytest.mark.skipif(
        not (artifacts.SAM_BUILD / artifacts.LAYER).is_dir(),
        reason=f"no sam build output in {artifacts.SAM_BUILD}: `make test` (or `make build`) builds it first",
    ),
]


def _runtime() -> str:
    return template.load()["Globals"]["Function"]["Runtime"]  # e.g. "python3.11"


def _cache_tag() -> str:
    return "cpython-" + _runtime().removeprefix("python").replace(".", "")


def _pyc(source: Path) -> Path:
    return source.parent / "__pycache__" / f"{source.stem}.{_cache_tag()}.pyc"


def test_this_interpreter_is_the_runtimes_version():
    # The check below reads .pyc headers with this interpreter's magic number.
    assert _runtime() == f"python{sys.version_info.major}.{sys.version_info.minor}", (
        "tests run on another Python than template.yaml's runtime: the .pyc check would not be meaningful"
    )


@pytest.mark.parametrize("function", template.functions(), ids=lambda f: f.name)
def test_every_module_a_handler_imports_is_shipped_compiled(function: template.Function):
    function_dir = artifacts.SAM_BUILD / function.name
    layer_dir = artifacts.SAM_BUILD / artifacts.LAYER / "python"
    built = (function_dir.resolve(), layer_dir.resolve())
    stdlib = Path(sys.base_prefix).resolve()

    files = [Path(f).resolve() for f in artifacts.imported_files(function_dir, layer_dir, function, foreign=True)]
    shipped = [f for f in files if f.is_relative_to(built[0]) or f.is_relative_to(built[1])]
    assert any(f.name == "app.py" for f in shipped) and any("coupons" in f.parts for f in shipped)

    # Nothing came from this machine's site-packages but the compiled extensions the layer holds
    # for Lambda's platform (the probe loads this machine's build of the same pinned wheel).
    foreign = [f for f in files if f not in shipped and not f.is_relative_to(stdlib)]
    assert all(f.suffix == ".so" for f in foreign), foreign

    missing, stale = [], []
    for source in (f for f in shipped if f.suffix == ".py"):
        pyc = _pyc(source)
        if not pyc.is_file():
            missing.append(str(source))
            continue
        header = pyc.read_bytes()[:8]
        flags = int.from_bytes(header[4:8], "little")
        # The runtime's magic number, and hash-based without source check (0b01): loaded as is.
        if header[:4] != importlib.util.MAGIC_NUMBER or flags != 0b01:
            stale.append(f"{pyc} (flags {flags:#04b})")
    assert not missing, f"{len(missing)} imported modules without a .pyc, e.g. {missing[:5]}"
    assert not stale, f"{len(stale)} .pyc not unchecked-hash for this runtime, e.g. {stale[:5]}"


@pytest.mark.parametrize("function", template.functions(), ids=lambda f: f.name)
def test_no_handler_loads_boto3(function: template.Function):
    # Handlers make their clients with botocore (coupons.core.aws_clients) and read DynamoDB's typed
    # values with coupons.core.attribute_values: boto3 would add its resources and s3transfer to
    # every cold start without being used.
    files = artifacts.imported_files(artifacts.SAM_BUILD / function.name,
                                     artifacts.SAM_BUILD / artifacts.LAYER / "python", function, foreign=True)
    assert any("botocore" in Path(f).parts for f in files)
    loaded = sorted({part for f in files for part in Path(f).parts if part in ("boto3", "s3transfer")})
    assert loaded == [], f"{function.name} imports {loaded}"


def test_the_build_recipe_reads_the_runtime_from_the_template():
    recipe = (template.ROOT / "tools" / "lambda-build.mk").read_text()
    assert "Runtime: *python" in recipe and "--invalidation-mode unchecked-hash" in recipe
    resources = template.load()["Resources"]
    for name, resource in resources.items():
        if resource["Type"] in ("AWS::Serverless::Function", "AWS::Serverless::LayerVersion"):
            assert resource.get("Metadata", {}).get("BuildMethod") == "makefile", name
    assert resources[artifacts.LAYER]["Properties"]["CompatibleRuntimes"] == [_runtime()]

"""The template as CloudFormation receives it (SAM's own transform, run here): functions served
through their published alias, SnapStart following EnableSnapStart, and a new version (so a new
snapshot) whenever the code or the layer changes."""

from __future__ import annotations

import json

import pytest
from samtranslator.translator.transform import transform

from localrun import template


class _NoManagedPolicies:
    def load(self) -> dict:
        return {}


def _transformed(parameters: dict[str, str], code: str = "v1", layer: str = "v1") -> dict:
    document = json.loads(json.dumps(template.load()))
    for name, resource in document["Resources"].items():  # as `sam package` leaves them
        props = resource.get("Properties", {})
        if "CodeUri" in props:
            props["CodeUri"] = f"s3://bucket/{name}-{code}.zip"
        if "ContentUri" in props:
            props["ContentUri"] = f"s3://bucket/{name}-{layer}.zip"
    return transform(document, parameters, _NoManagedPolicies())["Resources"]


def _versions(resources: dict) -> set[str]:
    return {name for name, r in resources.items() if r["Type"] == "AWS::Lambda::Version"}


@pytest.fixture(autouse=True)
def _region(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.mark.parametrize("snapstart", ["true", "false"])
def test_every_route_and_the_queue_invoke_the_alias(snapstart):
    resources = _transformed({"EnableSnapStart": snapstart})
    functions = [f.name for f in template.functions()]
    uris = json.dumps(resources["HttpApi"]["Properties"]["Body"]["paths"])
    for function in functions:
        assert resources[f"{function}Aliaslive"]["Type"] == "AWS::Lambda::Alias"
        snapstart_config = resources[function]["Properties"]["SnapStart"]
        if function in ("SenderFunction", "RatesRefreshFunction"):  # a queue consumer, a daily job: nobody waits
            assert snapstart_config == {"ApplyOn": "None"}
        else:
            assert snapstart_config == {"ApplyOn": {"Fn::If": ["SnapStartEnabled", "PublishedVersions", "None"]}}
        assert f"${{{function}}}/invocations" not in uris, f"{function}: the API would call $LATEST"
    for route_function in {f.name for f in template.functions() if f.routes}:
        assert f"${{{route_function}Aliaslive}}/invocations" in uris
    mappings = [r for r in resources.values() if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    assert mappings and all(m["Properties"]["FunctionName"]["Ref"].endswith("Aliaslive") for m in mappings)
    assert all(resources[v].get("DeletionPolicy") == "Delete" for v in _versions(resources))


def test_a_new_layer_or_new_code_publishes_new_versions():
    base = _versions(_transformed({}))
    assert _versions(_transformed({}, layer="v2")).isdisjoint(base)
    assert _versions(_transformed({}, code="v2")).isdisjoint(base)


def test_snapstart_is_on_by_default_on_a_runtime_that_has_it():
    """SnapStart exists for python3.12 and later; the layer serves the very runtime the functions run."""
    document = template.load()
    runtime = document["Globals"]["Function"]["Runtime"]
    assert tuple(int(p) for p in runtime.removeprefix("python").split(".")) >= (3, 12)
    assert document["Resources"]["SharedLayer"]["Properties"]["CompatibleRuntimes"] == [runtime]
    assert document["Parameters"]["EnableSnapStart"]["Default"] == "true"

"""template.yaml as data: the table definition, the HTTP routes and each function's environment."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
TABLE_RESOURCE = "CouponsTable"


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation short-form tags (!Ref, !GetAtt, !Sub ...) as {"Ref": ...} style dicts."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:
        raise yaml.constructor.ConstructorError(None, None, f"unexpected node {node!r}", node.start_mark)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _tag)


@cache
def load() -> dict[str, Any]:
    return yaml.load(TEMPLATE.read_text(), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


def table_definition(table_name: str) -> dict[str, Any]:
    """``create_table`` arguments for the coupons table, exactly as template.yaml declares it."""
    props = load()["Resources"][TABLE_RESOURCE]["Properties"]
    definition = {
        "TableName": table_name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props["BillingMode"],
    }
    if props.get("GlobalSecondaryIndexes"):
        definition["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    if props.get("StreamSpecification"):
        definition["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    return definition


def ttl_attribute() -> str | None:
    spec = load()["Resources"][TABLE_RESOURCE]["Properties"].get("TimeToLiveSpecification")
    return spec["AttributeName"] if spec else None


@dataclass(frozen=True)
class Route:
    method: str  # GET, POST ... or ANY
    path: str  # API Gateway form: /brandbassador/webshops/{webshop}/codes

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class Function:
    name: str  # logical id in template.yaml
    code_dir: Path
    handler: str  # module.function
    environment: dict[str, Any] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)


def functions() -> list[Function]:
    """Every AWS::Serverless::Function, with Globals' environment merged under its own."""
    template = load()
    global_env = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    result = []
    for name, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        env = {**global_env, **props.get("Environment", {}).get("Variables", {})}
        routes = [
            Route(event["Properties"]["Method"].upper(), event["Properties"]["Path"])
            for event in props.get("Events", {}).values()
            if event["Type"] == "HttpApi"
        ]
        result.append(Function(name, ROOT / props["CodeUri"], props["Handler"], env, routes))
    return result


@dataclass(frozen=True)
class Cors:
    """The HTTP API's CorsConfiguration, applied the way API Gateway applies it."""

    origins: tuple[str, ...]
    methods: tuple[str, ...]
    headers: tuple[str, ...]
    max_age: int | None

    def allowed(self, origin: str) -> str | None:
        return "*" if "*" in self.origins else origin if origin in self.origins else None

    def response_headers(self, origin: str) -> dict[str, str]:
        allowed = self.allowed(origin)
        return {"access-control-allow-origin": allowed} if allowed else {}

    def preflight_headers(self, origin: str) -> dict[str, str]:
        if not self.allowed(origin):
            return {}
        headers = {
            **self.response_headers(origin),
            "access-control-allow-methods": ",".join(self.methods),
            "access-control-allow-headers": ",".join(self.headers),
        }
        if self.max_age is not None:
            headers["access-control-max-age"] = str(self.max_age)
        return headers


def cors() -> Cors | None:
    """The first HttpApi's CorsConfiguration, with parameter references resolved to defaults."""
    params = parameter_defaults()
    for resource in load()["Resources"].values():
        is_api = resource["Type"] == "AWS::Serverless::HttpApi"
        config = resource.get("Properties", {}).get("CorsConfiguration") if is_api else None
        if config:
            origins = config.get("AllowOrigins", [])
            if isinstance(origins, dict):  # !Ref to a CommaDelimitedList parameter
                origins = str(params.get(origins["Ref"], "")).split(",")
            return Cors(tuple(origins), tuple(config.get("AllowMethods", [])),
                        tuple(config.get("AllowHeaders", [])), config.get("MaxAge"))
    return None


def parameter_defaults() -> dict[str, Any]:
    return {name: p.get("Default") for name, p in load().get("Parameters", {}).items()}

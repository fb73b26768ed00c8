"""Write docs/openapi.json from the handlers' own resolvers (``make openapi``).

Each function's Powertools resolver describes its routes from their pydantic models; this merges
them into one document, so the spec cannot drift from the code. Two things Powertools leaves out
are added here, for every route alike: the security schemes a wire module declares
(``SECURITY_SCHEMES``, named by the routes' ``security=``), and the full JSON schema of each
parameter read through a pydantic model (Powertools writes only its bare type).
"""

from __future__ import annotations

import json
import os
from typing import Any

from pydantic import BaseModel

from localrun import template
from localrun.gateway import load_module

OUTPUT = template.ROOT / "docs" / "openapi.json"


def document() -> dict:
    os.environ.setdefault("COUPONS_TABLE", "coupons")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    merged: dict = {
        "openapi": "3.1.0",
        "info": {
            "title": "Coupon-code service",
            "version": "1.0.0",
            "description": "Partner contracts (Brandbassador, SiteVibes, Affonso, Friendbuy) and the brand's checkout.",
        },
        "paths": {},
        "components": {"schemas": {}},
    }
    for function in template.functions():
        if not function.routes:
            continue
        module = load_module(function.code_dir, function.handler, function.name)
        schemes = getattr(getattr(module, "wire", None), "SECURITY_SCHEMES", None)
        spec = module.app.get_openapi_schema(security_schemes=schemes).model_dump(
            mode="json", by_alias=True, exclude_none=True)
        _parameters(spec, module.app)
        _bounds(spec.get("components", {}).get("schemas", {}))
        spec = _distinct_names(spec, merged["components"]["schemas"], function.name.removesuffix("Function"))
        for path, operations in spec.get("paths", {}).items():
            merged["paths"].setdefault(path, {}).update(operations)
        merged["components"]["schemas"].update(spec.get("components", {}).get("schemas", {}))
        for name, scheme in spec.get("components", {}).get("securitySchemes", {}).items():
            merged["components"].setdefault("securitySchemes", {})[name] = scheme
    return merged


def _parameters(spec: dict, app: Any) -> None:
    """A parameter is absent or text, never null: the null branch of an optional one is dropped.
    Parameters read through a pydantic model (``Annotated[Model, Query()]``) get the model's own
    schema for each field (patterns, lengths) and its ``required`` list; Powertools writes only
    their bare type."""
    for route in [*app._static_routes, *app._dynamic_routes]:
        operation = spec["paths"].get(route.openapi_path, {}).get(route.method.lower())
        if operation is None:
            continue
        for parameter in operation.get("parameters", []):
            parameter["schema"] = _not_null(parameter["schema"])
        params = route.dependant.query_params + route.dependant.header_params + route.dependant.cookie_params
        for model in (p.field_info.annotation for p in params):
            if not (isinstance(model, type) and issubclass(model, BaseModel)):
                continue
            schema = model.model_json_schema()
            for parameter in operation.get("parameters", []):
                field = schema["properties"].get(parameter["name"])
                if field is not None:
                    parameter["schema"] = _not_null(field)
                    parameter["required"] = parameter["name"] in schema.get("required", [])


# pydantic writes a bound on a union field (``int | None = Field(None, ge=0)``) under its own
# argument's name, which JSON Schema ignores; the bound is enforced, so the schema says it.
_BOUNDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}


def _bounds(node: Any, in_properties: bool = False) -> None:
    if isinstance(node, list):
        for item in node:
            _bounds(item)
    elif isinstance(node, dict):
        for key in list(node):
            if not in_properties and key in _BOUNDS:
                node.setdefault(_BOUNDS[key], node[key])
                del node[key]
            else:
                _bounds(node[key], in_properties=key == "properties" and not in_properties)


def _not_null(field: dict) -> dict:
    field = {k: v for k, v in field.items() if k not in ("title", "default", "description")}
    options = [option for option in field.pop("anyOf", []) if option != {"type": "null"}]
    if len(options) == 1:
        field = {**options[0], **field}
    elif options:
        field["anyOf"] = options
    return field


def _distinct_names(spec: dict, known: dict, prefix: str) -> dict:
    """Two contracts may name different models alike (checkout's and Friendbuy's ``CustomerIn``):
    the later one's schema is renamed ``<Prefix><Name>``, its references with it, so neither
    operation is documented with the other's model."""
    schemas = spec.get("components", {}).get("schemas", {})
    clashes = [name for name, schema in schemas.items() if name in known and known[name] != schema]
    text = json.dumps(spec)
    for name in clashes:
        text = text.replace(f'"#/components/schemas/{name}"', f'"#/components/schemas/{prefix}{name}"')
    renamed = json.loads(text)
    for name in clashes:
        renamed["components"]["schemas"][f"{prefix}{name}"] = renamed["components"]["schemas"].pop(name)
    return renamed


def main() -> None:
    OUTPUT.parent.mkdir(exist_ok=True)
    OUTPUT.write_text(json.dumps(document(), indent=2, sort_keys=False) + "\n")
    print(f"wrote {OUTPUT.relative_to(template.ROOT)}")


if __name__ == "__main__":
    main()

"""Write docs/openapi.json from the handlers' own resolvers (``make openapi``).

Each function's Powertools resolver describes its routes from their pydantic models; this merges
them into one document, so the spec cannot drift from the code.
"""

from __future__ import annotations

import json
import os

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
        spec = module.app.get_openapi_schema().model_dump(mode="json", by_alias=True, exclude_none=True)
        spec = _distinct_names(spec, merged["components"]["schemas"], function.name.removesuffix("Function"))
        for path, operations in spec.get("paths", {}).items():
            merged["paths"].setdefault(path, {}).update(operations)
        merged["components"]["schemas"].update(spec.get("components", {}).get("schemas", {}))
    return merged


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

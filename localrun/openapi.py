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
        for path, operations in spec.get("paths", {}).items():
            merged["paths"].setdefault(path, {}).update(operations)
        merged["components"]["schemas"].update(spec.get("components", {}).get("schemas", {}))
    return merged


def main() -> None:
    OUTPUT.parent.mkdir(exist_ok=True)
    OUTPUT.write_text(json.dumps(document(), indent=2, sort_keys=False) + "\n")
    print(f"wrote {OUTPUT.relative_to(template.ROOT)}")


if __name__ == "__main__":
    main()

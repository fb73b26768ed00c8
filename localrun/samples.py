"""Write events/<contract>/<case>.json from each demo module's SAMPLES (``make events``).

The samples are built by the same code the local gateway uses for live requests, and the tests
invoke the handlers with these files, as ``sam local invoke -e`` would.
"""

from __future__ import annotations

import json

from localrun import demo, template
from localrun.events import http_event

EVENTS_DIR = template.ROOT / "events"


def sample_event(route: tuple, sample: dict) -> dict:
    method, path, path_parameters = route
    path_parameters = {**path_parameters, **sample.get("path_parameters", {})}
    raw_path = path.format(**path_parameters) if path_parameters else path
    headers = {"host": "127.0.0.1:3000", "user-agent": "curl/8.5.0", **sample.get("headers", {})}
    body = sample.get("body")
    if body is not None and not isinstance(body, str):
        body = json.dumps(body)
        headers.setdefault("content-type", "application/json")
    event = http_event(
        method,
        raw_path,
        template.Route(method, path),
        path_parameters=path_parameters or None,
        raw_query=sample.get("query", ""),
        headers=headers,
        body=body,
    )
    # Fixed ids and times keep regenerated files stable under version control.
    event["requestContext"].update(requestId="sample-request", time="01/Jan/2026:00:00:00 +0000", timeEpoch=1767225600000)
    return event


def main() -> None:
    for module in demo.modules():
        for name, sample in getattr(module, "SAMPLES", {}).items():
            route = sample.get("route", module.SAMPLE_ROUTE)
            folder = EVENTS_DIR / module.__name__.rsplit(".", 1)[1]
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{name}.json").write_text(json.dumps(sample_event(route, sample), indent=2) + "\n")
            print(f"wrote {folder.relative_to(template.ROOT)}/{name}.json")


if __name__ == "__main__":
    main()

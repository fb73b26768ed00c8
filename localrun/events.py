"""API Gateway HTTP API (payload format 2.0) events, shaped as AWS sends them to a function.

The local gateway builds one per request; ``python -m localrun.events`` writes the samples in
events/ with the same builder, so the samples and the live path cannot drift apart.
"""

from __future__ import annotations

import base64
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from localrun.template import Route

_PARAM = re.compile(r"\{([^}+]+)(\+?)\}")


def path_pattern(path: str) -> re.Pattern[str]:
    """``/a/{id}/b`` -> regex with a named group per parameter; ``{proxy+}`` is greedy."""
    regex, last = "", 0
    for match in _PARAM.finditer(path):
        regex += re.escape(path[last : match.start()])
        regex += f"(?P<{match.group(1)}>.+)" if match.group(2) else f"(?P<{match.group(1)}>[^/]+)"
        last = match.end()
    return re.compile(regex + re.escape(path[last:]) + r"\Z")


def query_parameters(raw_query: str) -> dict[str, str] | None:
    """API Gateway joins repeated parameters with commas."""
    params: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        params[name] = f"{params[name]},{value}" if name in params else value
    return params or None


def http_event(
    method: str,
    raw_path: str,
    route: Route,
    path_parameters: dict[str, str] | None = None,
    raw_query: str = "",
    headers: dict[str, str] | None = None,
    body: bytes | str | None = None,
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    now = datetime.now(UTC)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": headers.get("host", "127.0.0.1"),
            "domainPrefix": "local",
            "http": {
                "method": method.upper(),
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route.route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(time.time() * 1000),
        },
        "isBase64Encoded": False,
    }
    if "cookie" in headers:
        event["cookies"] = [c.strip() for c in headers["cookie"].split(";")]
    query = query_parameters(raw_query)
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = {k: unquote(v) for k, v in path_parameters.items()}
    if body:
        raw = body.encode() if isinstance(body, str) else body
        try:
            event["body"] = raw.decode("utf-8")
        except UnicodeDecodeError:
            event["body"] = base64.b64encode(raw).decode()
            event["isBase64Encoded"] = True
    return event

"""JSON request bodies, whatever content-type the caller set.

Affonso's, Friendbuy's and our checkout's routes take JSON. ``curl -d`` and some HTTP clients
label such a body ``application/x-www-form-urlencoded`` (or send no content-type); Powertools would
then parse it as a form and report every field missing, which misleads the caller. A body that
parses as JSON is read as JSON; anything else is left for the route's own validation to refuse.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def read_as_json(event: dict[str, Any]) -> dict[str, Any]:
    """The API Gateway v2 event, labelled ``application/json`` when its body is JSON."""
    headers = event.get("headers") or {}
    body = event.get("body")
    if not body or event.get("isBase64Encoded") or headers.get("content-type", "").startswith("application/json"):
        return event
    try:
        json.loads(body)
    except ValueError:
        return event
    return {**event, "headers": {**headers, "content-type": "application/json"}}


def loads(body: str | bytes) -> Any:
    """A JSON body with its numbers read exactly: ``99.999999999999999`` stays that Decimal (and a
    money parser can refuse it) instead of becoming the float 100.0. Routes that take money give
    this to their resolver (``json_body_deserializer``)."""
    return json.loads(body, parse_float=Decimal)

"""JSON request bodies: bounded, strict, and read as JSON whatever content-type the caller set.

A body that breaks a bound is handed to the route as not JSON, so each contract refuses it in its
own format, never with a 500 (docs/architecture.md, "A wing per partner on a shared core", JSON bodies)."""

from __future__ import annotations

import base64
import binascii
import json
from decimal import Decimal
from typing import Any

# Every request body of every contract is a few hundred bytes; Friendbuy's purchase with its
# products is the largest. API Gateway would take up to 10 MB.
MAX_BYTES = 64 * 1024
MAX_DEPTH = 32
# What a route sees instead of a body it must not parse: not JSON, so Powertools reports json_invalid.
_UNREADABLE = "<unreadable body>"

# The body ``read_as_json`` has just parsed, with its value: a resolver whose deserializer is
# ``loads`` is handed that very string next and takes the value instead of parsing it again. Taken
# once (no two callers share one value), replaced by the next request: one body, at most MAX_BYTES.
_just_read: tuple[str, Any] | None = None


class UnreadableBody(json.JSONDecodeError):
    """Too large, too deep, not UTF-8, not JSON, or a key twice in one object. A JSONDecodeError,
    so that Powertools, given ``loads`` as a resolver's deserializer, answers it as invalid JSON
    (the contract's own 400) instead of letting it escape as a 500."""

    def __init__(self, message: str):
        super().__init__(message, "", 0)
        self.message = message

    def __str__(self) -> str:
        return self.message


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise UnreadableBody(f"the key {key!r} appears twice in one object")
        result[key] = value
    return result


def _depth(text: str) -> int:
    """The deepest nesting of arrays and objects, brackets inside strings not counted."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def loads(raw: str | bytes) -> Any:
    """``json.loads`` within the bounds above, or ``UnreadableBody`` (a ``ValueError``). Numbers
    are read exactly: ``99.999999999999999`` stays that Decimal (and a money parser can refuse it)
    instead of becoming the float 100.0; routes that take money give this to their resolver
    (``json_body_deserializer``)."""
    global _just_read
    if _just_read is not None and _just_read[0] is raw:
        value, _just_read = _just_read[1], None
        return value
    if len(raw) > MAX_BYTES:
        raise UnreadableBody(f"the body is larger than {MAX_BYTES} bytes")
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise UnreadableBody("the body is not UTF-8") from None
    if _depth(text) > MAX_DEPTH:
        raise UnreadableBody(f"the body nests more than {MAX_DEPTH} levels")
    try:
        return json.loads(text, object_pairs_hook=_refuse_duplicates, parse_float=Decimal)
    except RecursionError:  # the depth bound should make this unreachable; a 500 it must never be
        raise UnreadableBody("the body nests too deeply") from None
    except UnreadableBody:
        raise
    except ValueError as error:
        raise UnreadableBody(f"the body is not JSON: {error}") from None


def _text(event: dict[str, Any]) -> str:
    """The body as text, base64 undone; ``UnreadableBody`` when it is not UTF-8 or, whatever its
    content-type, larger than ``MAX_BYTES``."""
    body = event.get("body") or ""
    if len(body) > MAX_BYTES * 4 // 3 + 4:  # cheap first: no decoding of what is clearly too large
        raise UnreadableBody(f"the body is larger than {MAX_BYTES} bytes")
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise UnreadableBody("the body is not UTF-8 text") from None
    if len(body.encode("utf-8", "surrogatepass")) > MAX_BYTES:  # a lone surrogate is counted, not a 500
        raise UnreadableBody(f"the body is larger than {MAX_BYTES} bytes")
    return body


def read_as_json(event: dict[str, Any]) -> dict[str, Any]:
    """The API Gateway v2 event, labelled ``application/json`` when its body is JSON; a body that
    breaks a bound (or a JSON-labelled one that is not JSON) replaced by one the route refuses.
    The size bound holds whatever the content-type: a large form is refused, not parsed."""
    headers = event.get("headers") or {}
    if not event.get("body"):
        return event
    global _just_read
    try:
        text = _text(event)
    except UnreadableBody:  # too large, or not text
        return _unreadable(event, headers)
    try:
        _just_read = (text, loads(text))
    except UnreadableBody:
        labelled_json = headers.get("content-type", "").startswith("application/json")
        if not labelled_json and text.lstrip()[:1] not in ("[", "{"):
            return event  # a form or text: the route's own validation names what is missing
        return _unreadable(event, headers)
    return {**event, "body": text, "isBase64Encoded": False,
            "headers": {**headers, "content-type": "application/json"}}


def _unreadable(event: dict[str, Any], headers: dict[str, Any]) -> dict[str, Any]:
    return {**event, "body": _UNREADABLE, "isBase64Encoded": False,
            "headers": {**headers, "content-type": "application/json"}}

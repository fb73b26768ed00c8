"""What every wire module needs to answer: a JSON response, and Powertools' validation problems
turned into one sentence for a partner's support person."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types

# Where a problem sits, as pydantic's ``loc`` says it, without the request part it came from.
_REQUEST_PARTS = ("body", "query")
# How pydantic names a union member that has validators of its own: not a field a caller wrote.
_VALIDATOR_LABELS = ("function-after[", "function-before[", "function-plain[", "function-wrap[")


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body,
                    headers=dict(headers) if headers else None)


def first_problem(problems: Iterable[Mapping[str, Any]], default: str) -> tuple[str, str]:
    """``(where, message)`` of the first validation problem: ``where`` a dotted field path ("" for
    the whole request), ``message`` pydantic's text without its "Value error, " prefix."""
    first = next(iter(problems), {})
    where = ".".join(str(part) for part in first.get("loc", ())
                     if part not in _REQUEST_PARTS and not str(part).startswith(_VALIDATOR_LABELS))
    return where, str(first.get("msg") or default).removeprefix("Value error, ")


def documented(description: str, model: type) -> dict[str, Any]:
    """A route's ``responses=`` entry: what the status means and the JSON body's model (OpenAPI)."""
    return {"description": description, "content": {content_types.APPLICATION_JSON: {"model": model}}}

"""SiteVibes "Custom Coupon Rewards via API" endpoint.

Source: https://help.sitevibes.com/hc/en-us/articles/49182800285723-Creating-Custom-Coupon-Rewards-via-API
``POST`` ``{"email"}`` -> 2xx ``{"coupon_code"}`` (``""`` for a reward without a code); the error
body is our choice (docs/sitevibes.md, "The route")."""

from __future__ import annotations

import base64
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from pydantic import BaseModel, Field

from coupons.core import emails, json_body
from coupons.core.base_model import Model
from coupons.core.errors import CodeTaken, CouponError, Forbidden, InvalidRequest, LimitReached, Unauthenticated, Unavailable
from coupons.core.responses import first_problem
from coupons.core.responses import json_response as _json
from coupons.sitevibes.rewards import RewardExpired

EXAMPLE = '{"email": "john.smith@email.com"}'


class BodyNotJson(InvalidRequest):
    """The body is missing or is not JSON."""


class BadEmail(InvalidRequest):
    """The body has no usable ``email``."""


# (error class, HTTP status, error code); the first class that matches wins, so subclasses go first.
_ERRORS: list[tuple[type[CouponError], int, str]] = [
    (BodyNotJson, 400, "INVALID_JSON"),
    (BadEmail, 400, "INVALID_EMAIL"),
    (RewardExpired, 400, "REWARD_EXPIRED"),
    (InvalidRequest, 400, "INVALID_REQUEST"),
    (Unauthenticated, 401, "UNAUTHORIZED"),
    (Forbidden, 401, "UNAUTHORIZED"),  # SiteVibes' configuration is the only client: 401 either way
    (CodeTaken, 409, "CODE_TAKEN"),
    (LimitReached, 429, "LIMIT_REACHED"),  # the brand's own daily limit: the same request may pass tomorrow
    (Unavailable, 503, "UNAVAILABLE"),
    (CouponError, 400, "INVALID_REQUEST"),  # a refusal added to the domain later: still not a 500
]


class RedeemBody(Model):
    """What SiteVibes sends when a shopper redeems the reward (other fields are ignored)."""

    email: str = Field(description="The shopper's email address (an address alone, no name or brackets)",
                       examples=["john.smith@email.com"], json_schema_extra=emails.ADDRESS_SCHEMA)


class SiteVibesCoupon(Model):
    coupon_code: str = Field(
        description='The new code; "" for a reward without a code', examples=["SV7KQ2M9XA"]
    )


class SiteVibesErrorDetail(Model):
    code: str = Field(examples=["INVALID_EMAIL"])
    message: str = Field(examples=["'john.smith' is not an email address"])


class SiteVibesError(Model):
    error: SiteVibesErrorDetail


def _documented(description: str, model: type[BaseModel]) -> dict[str, Any]:
    return {"description": description, "content": {content_types.APPLICATION_JSON: {"model": model}}}


# The body is read by ``parse`` (after authentication, as JSON whatever the content-type says), so
# it is declared to OpenAPI here rather than through a validated handler parameter.
OPENAPI_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {content_types.APPLICATION_JSON: {"schema": RedeemBody.model_json_schema()}},
    }
}
# The reward's secret, in the header the brand configured for it (``rewards add --header``).
SECURITY_SCHEMES = {"sitevibes_reward_key": {
    "type": "apiKey", "in": "header", "name": "X-Api-Key",
    "description": "The reward's secret, in the header configured for the reward (X-Api-Key in the demo)"}}
SECURITY: list[dict[str, list[str]]] = [{"sitevibes_reward_key": []}]
OPENAPI_RESPONSES = {
    200: _documented("The code is created and stored (or, within the retry window, the same code again)",
                     SiteVibesCoupon),
    400: _documented("INVALID_JSON, INVALID_EMAIL, INVALID_REQUEST or REWARD_EXPIRED", SiteVibesError),
    401: _documented("UNAUTHORIZED: the reward is unknown, or its header is missing or wrong (one answer, so "
                     "reward ids cannot be probed)", SiteVibesError),
    429: _documented("LIMIT_REACHED: the reward's daily limit (redemptions or value) is reached; nothing was issued",
                     SiteVibesError),
    503: _documented("UNAVAILABLE: throttled or no free code found; retry the same request", SiteVibesError),
}


def parse(body: str | None, is_base64_encoded: bool = False) -> str:
    """The email in the request body, stripped, or ``InvalidRequest`` saying what is wrong."""
    if not body:
        raise BodyNotJson(f"The request body is empty; send JSON like {EXAMPLE}")
    try:
        raw = base64.b64decode(body, validate=True) if is_base64_encoded else body
        data = json_body.loads(raw)  # bounded: size, nesting depth, duplicate keys
    except ValueError:  # bad base64, bad UTF-8, bad JSON and a broken bound are all ValueErrors
        raise BodyNotJson(f"The request body is not valid JSON; send JSON like {EXAMPLE}") from None
    if not isinstance(data, dict):
        raise InvalidRequest(f"The request body must be a JSON object like {EXAMPLE}")
    email = data.get("email")
    if email is None or email == "":
        raise BadEmail(f"The email is missing; send JSON like {EXAMPLE}")
    if not isinstance(email, str):
        raise BadEmail("The email must be a string")
    email = email.strip()
    if not emails.is_address(email):
        shown = email if len(email) <= 80 else email[:80] + "..."
        raise BadEmail(f"{shown!r} is not an email address")
    return email


def issued(code: str) -> Response:
    return _json(200, {"coupon_code": code})


def error(exc: CouponError) -> Response:
    status, code = next((status, code) for cls, status, code in _ERRORS if isinstance(exc, cls))
    return _json(status, {"error": {"code": code, "message": exc.message}})


def malformed(problems: list[dict[str, Any]]) -> Response:
    """Powertools' own request validation failed (not expected: the handler reads the body itself)."""
    _, detail = first_problem(problems, "")
    return error(InvalidRequest(detail or "The request could not be read"))

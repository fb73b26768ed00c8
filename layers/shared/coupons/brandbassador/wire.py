"""Brandbassador "custom webshop" endpoint.

Source: https://help.brandbassador.com/en/articles/3502889-settings-integrations-custom-webshop-discount-code-creation
A GET with the code in the query; success ``{"status": "success"}``, failure ``{"status": 0, "error"}``.
Parameters, aliases and where their names come from: docs/brandbassador.md, "The route"."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import parse_qsl

from aws_lambda_powertools.event_handler import Response
from pydantic import ConfigDict, Field

from coupons.brandbassador.webshops import CodeRequest
from coupons.core import codes, dates, money
from coupons.core.base_model import Model
from coupons.core.errors import (
    CodeTaken,
    CouponError,
    Forbidden,
    InvalidRequest,
    LimitReached,
    NotFound,
    Unauthenticated,
    Unavailable,
)
from coupons.core.responses import first_problem
from coupons.core.responses import json_response as _json

ALREADY_EXISTS = "Discount code already exists"  # verbatim from Brandbassador's page

_STATUS = {
    InvalidRequest: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    CodeTaken: 409,
    LimitReached: 429,  # the brand's own limit: the same request may pass tomorrow
    Unavailable: 503,
}


# Each parameter's schema says what ``parse`` takes (an empty value reads as absent). pydantic does
# not enforce them: ``parse`` refuses in Brandbassador's shape, after the key is checked.
_EMPTY_OR = "^(?:|{})$"
# More than 0 and at most 100; 9 integer digits (leading zeros too) and 2 decimals at most.
_PERCENTAGE = _EMPTY_OR.format(r"0{0,8}[1-9](?:\.[0-9]{1,2})?|0{0,7}[1-9][0-9](?:\.[0-9]{1,2})?"
                               r"|0{1,9}\.(?:0[1-9]|[1-9][0-9]?)|0{0,6}100(?:\.0{1,2})?")
_NOT_ZERO: dict[str, Any] = {"not": {"pattern": r"^0+(?:\.0+)?$"}}  # the number 0, however written
_AMOUNT: dict[str, Any] = {"pattern": _EMPTY_OR.format(r"[0-9]{1,9}(?:\.[0-9]{1,2})?"), **_NOT_ZERO}
_USES: dict[str, Any] = {"pattern": _EMPTY_OR.format("[0-9]{1,9}"), **_NOT_ZERO}
_DAY: dict[str, Any] = {"pattern": dates.DAY_SCHEMA.replace("^(?:", "^(?:|", 1)}


class CodeQuery(Model):
    """The query string as Brandbassador sends it. Every field is optional here so that what is
    missing or malformed is refused in Brandbassador's own shape, not a generic 422; the schema
    (OpenAPI) still says what is required. The rules across parameters, which OpenAPI cannot
    state, are in the operation's description (``RULES``)."""

    model_config = ConfigDict(json_schema_extra={"required": ["code"]})

    code: str | None = Field(None, description="The code, A-Z and 0-9 only, 3-64 characters, case-insensitive",
                             examples=["JOHN20"], json_schema_extra={"pattern": codes.ALPHANUMERIC.schema})
    percentage: str | None = Field(None, description="Percent off, for a discount code (e.g. 20 or 20.00), at most 100",
                                   examples=["20"], json_schema_extra={"pattern": _PERCENTAGE})
    percent: str | None = Field(None, description="Alias of percentage", json_schema_extra={"pattern": _PERCENTAGE})
    amount: str | None = Field(None, description="Gift-card value in the format 1000.00 (above the webshop's cap: 429)",
                               json_schema_extra=_AMOUNT)
    currency: str | None = Field(None, description="Gift-card currency, ISO 4217 (default: the webshop's)",
                                 json_schema_extra={"pattern": _EMPTY_OR.format(money.CURRENCY_SCHEMA[1:-1])})
    expire: str | None = Field(None, description="Last valid day, yyyy-mm-dd, not before today (default: the "
                                                 "webshop's valid days)", json_schema_extra=_DAY)
    totime: str | None = Field(None, description="Alias of expire", json_schema_extra=_DAY)
    u_limit: str | None = Field(None, description="How many times the code may be used, 1 or more (default: the "
                                                  "webshop's)", json_schema_extra=_USES)
    auth_key: str | None = Field(None, description="The webshop's key issued by Brandbassador")
    auth: str | None = Field(None, description="Alias of auth_key")
    key: str | None = Field(None, description="Alias of auth_key")
    description: str | None = Field(None, description="Free text, stored with the code")
    ambassador: str | None = Field(None, description="The ambassador the code belongs to, for attribution")


# The webshop's key, under any of its three names (OpenAPI; read by ``presented_key``).
SECURITY_SCHEMES = {f"brandbassador_{name}": {"type": "apiKey", "in": "query", "name": name,
                                               "description": "The webshop's key issued by Brandbassador"}
                    for name in ("auth_key", "auth", "key")}
SECURITY: list[dict[str, list[str]]] = [{name: []} for name in SECURITY_SCHEMES]

RULES = ("Exactly one of percentage (or its alias percent) and amount; currency with amount only; two aliases "
         "sent together (percentage/percent, expire/totime, auth_key/auth/key) must be equal; no parameter twice. "
         "Otherwise 400, naming the problem.")


def _one_of(query: CodeQuery, *names: str) -> str | None:
    """The value of a field that has aliases; aliases that disagree are an error, not a guess."""
    given = {name: getattr(query, name) for name in names if getattr(query, name) not in (None, "")}
    if len(set(given.values())) > 1:
        raise InvalidRequest(f"The parameters {' and '.join(given)} disagree; send only one of them")
    return next(iter(given.values()), None)


def refuse_repeated(raw_query: str) -> None:
    """A parameter sent twice (``code=A&code=B``) is ambiguous; Powertools would keep the first."""
    names = [name for name, _ in parse_qsl(raw_query, keep_blank_values=True)]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise InvalidRequest(f"The parameter {', '.join(repeated)} was sent more than once")


def presented_key(query: CodeQuery) -> str | None:
    return _one_of(query, "auth_key", "auth", "key")


def parse(query: CodeQuery) -> CodeRequest:
    """The request in domain terms, or ``InvalidRequest`` with a message a support person reads."""
    raw_code = query.code or ""
    code = codes.require_valid(query.code)
    percentage_text = _one_of(query, "percentage", "percent")
    if percentage_text is not None and query.amount not in (None, ""):
        raise InvalidRequest("Send either percentage (a discount code) or amount (a gift card), not both")
    if percentage_text is None and query.amount in (None, ""):
        raise InvalidRequest("Send percentage (a discount code) or amount (a gift card); neither was given")

    percentage = amount = currency = None
    if percentage_text is not None:
        percentage = money.parse_amount(percentage_text, "percentage")
        if percentage > 100:
            raise InvalidRequest(f"The percentage must be at most 100, got {percentage_text}")
    else:
        amount = money.parse_amount(query.amount, "gift card amount")
        if query.currency:
            currency = money.require_currency(query.currency)
    if percentage is not None and query.currency not in (None, ""):
        raise InvalidRequest("currency applies to gift cards (amount), not to percentage codes")

    return CodeRequest(
        code=code,
        raw_code=raw_code,
        percentage=percentage,
        amount=amount,
        currency=currency,
        expires_on=_parse_date(_one_of(query, "expire", "totime")),
        max_uses=_parse_uses(query.u_limit),
        ambassador=query.ambassador or None,
        description=query.description or None,
    )


def _parse_date(text: str | None) -> date | None:
    return None if text is None else dates.parse_day(text, "expiry date")


def _parse_uses(text: str | None) -> int | None:
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or int(text) < 1 or len(text) > 9:
        raise InvalidRequest(f"u_limit must be a whole number of uses of at least 1, got {text!r}")
    return int(text)


def created() -> Response:
    return _json(200, {"status": "success"})


def error(exc: CouponError) -> Response:
    status = next(code for cls, code in _STATUS.items() if isinstance(exc, cls))
    message = ALREADY_EXISTS if isinstance(exc, CodeTaken) else exc.message
    return _json(status, {"status": 0, "error": message})


def malformed(problems: list[dict[str, Any]]) -> Response:
    """Powertools' request validation failed (a parameter that cannot be read as text)."""
    _, detail = first_problem(problems, "")
    return error(InvalidRequest(detail or "The request's parameters could not be read"))


# The answers' shapes, for OpenAPI (the route's responses=).
class Created(Model):
    status: str = Field(description='Always "success"', json_schema_extra={"const": "success"})


class Refused(Model):
    status: int = Field(description="Always 0", json_schema_extra={"const": 0})
    error: str = Field(description="What is wrong, for a person to read", examples=[ALREADY_EXISTS])

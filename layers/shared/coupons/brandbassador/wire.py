"""Brandbassador "custom webshop" endpoint.

Source: https://help.brandbassador.com/en/articles/3502889-settings-integrations-custom-webshop-discount-code-creation
A GET with the code in the query; success ``{"status": "success"}``, failure ``{"status": 0, "error"}``.
Parameters, aliases and where their names come from: docs/brandbassador.md, "The route"."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import parse_qsl

from aws_lambda_powertools.event_handler import Response
from pydantic import Field

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


_AMOUNT_PATTERN = r"^\d{1,9}(\.\d{1,2})?$"  # coupons.core.money's amounts


class CodeQuery(Model):
    """The query string as Brandbassador sends it. Every field is optional here so that what is
    missing or malformed is reported in Brandbassador's own error shape, not a generic 422."""

    # The patterns document what the contract accepts (an error otherwise, in Brandbassador's shape);
    # they are not enforced here, so that the refusal names the parameter in their format.
    code: str | None = Field(None, description="The code, A-Z and 0-9 only, case-insensitive", examples=["JOHN20"],
                             json_schema_extra={"pattern": "^[A-Za-z0-9]{3,64}$"})
    percentage: str | None = Field(None, description="Percent off, for a discount code (e.g. 20 or 20.00)",
                                   examples=["20"], json_schema_extra={"pattern": _AMOUNT_PATTERN})
    percent: str | None = Field(None, description="Alias of percentage", json_schema_extra={"pattern": _AMOUNT_PATTERN})
    amount: str | None = Field(None, description="Gift-card value in the format 1000.00",
                               json_schema_extra={"pattern": _AMOUNT_PATTERN})
    currency: str | None = Field(None, description="Gift-card currency, ISO 4217 (default: the webshop's)")
    expire: str | None = Field(None, description="Last valid day, yyyy-mm-dd (default: the webshop's valid days)")
    totime: str | None = Field(None, description="Alias of expire")
    u_limit: str | None = Field(None, description="How many times the code may be used (default: the webshop's)")
    auth_key: str | None = Field(None, description="The webshop's key issued by Brandbassador")
    auth: str | None = Field(None, description="Alias of auth_key")
    key: str | None = Field(None, description="Alias of auth_key")
    description: str | None = Field(None, description="Free text, stored with the code")
    ambassador: str | None = Field(None, description="The ambassador the code belongs to, for attribution")


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

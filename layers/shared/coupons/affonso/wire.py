"""Affonso embed API: self-service affiliate coupons (``/v1/embed/token``, ``/data``, ``/coupon``).

Source: https://docs.affonso.io ("Create Coupon"). Errors ``{"success": false, "error": {"code",
"message"}}``; the coupon errors' bodies are not public, so ours are a recorded choice
(docs/affonso.md, "The routes" and "Errors")."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aws_lambda_powertools.event_handler import Response
from pydantic import Field, field_validator

from coupons.affonso.affiliates import (
    CODE_MAX,
    CODE_MIN,
    AlreadyHasCoupon,
    Coupon,
    DailyLimitReached,
    Dashboard,
    InvalidCodeFormat,
    IssuedToken,
    PartnerProfile,
    SelfServiceNotEnabled,
    TokenExpired,
)
from coupons.affonso.earnings import Earning
from coupons.affonso.programmes import Creative, ProgrammeSettings
from coupons.core import credentials, emails
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
from coupons.core.models import Discount, DiscountKind
from coupons.core.responses import first_problem
from coupons.core.responses import json_response as _json

# error class -> (HTTP status, error.code, error.message). First match wins: specific ones first.
_ERRORS: list[tuple[type[CouponError], int, str, str]] = [
    (AlreadyHasCoupon, 409, "ALREADY_HAS_COUPON", "Already Has Coupon"),
    (CodeTaken, 409, "CODE_TAKEN", "Code Taken"),
    (SelfServiceNotEnabled, 403, "SELF_SERVICE_NOT_ENABLED", "Self-Service Not Enabled"),
    (InvalidCodeFormat, 400, "INVALID_CODE_FORMAT", "Invalid Code Format"),
    (TokenExpired, 401, "TOKEN_EXPIRED", "Token Expired"),
    # Beyond the five: the token route's API key, its programme, malformed bodies, throttling.
    (Unauthenticated, 401, "UNAUTHORIZED", ""),
    (Forbidden, 401, "UNAUTHORIZED", ""),
    (NotFound, 404, "NOT_FOUND", ""),
    (InvalidRequest, 400, "VALIDATION_ERROR", ""),
    (LimitReached, 429, "RATE_LIMIT_EXCEEDED", ""),  # the programme's daily budget: the message says which
    (Unavailable, 503, "SERVICE_UNAVAILABLE", ""),
]

# Every affiliate is approved: the brand's own server asks for its token, so it has chosen who is
# an affiliate already (Affonso's "Public" access mode). The service has no approval queue.
PARTNERSHIP_STATUS = "APPROVED"

_DISCOUNT_TYPE = {DiscountKind.PERCENT: "percentage", DiscountKind.FIXED: "flat"}

MAX_METADATA_BYTES = 8192  # keeps an affiliate item far below DynamoDB's 400 KB


class AffonsoPartner(Model):
    email: str = Field(min_length=3, max_length=254, description="The affiliate's e-mail: who it is in the programme",
                       examples=["john@example.com"], json_schema_extra=emails.ADDRESS_SCHEMA)
    name: str | None = Field(None, max_length=255)
    image: str | None = Field(None, max_length=2048, description="Avatar URL")

    @field_validator("email")
    @classmethod
    def _looks_like_email(cls, email: str) -> str:
        if not emails.is_address(email.strip()):
            raise ValueError("must be an e-mail address")
        return email.strip()


class AffonsoTokenRequest(Model):
    programId: str = Field(min_length=1, max_length=128, examples=["demo"])
    partner: AffonsoPartner
    groupId: str | None = Field(None, max_length=255)
    externalUserId: str | None = Field(None, max_length=255)
    metadata: dict[str, Any] | None = Field(None, description=f"Any JSON object, at most {MAX_METADATA_BYTES} bytes "
                                                              "as JSON")

    @field_validator("metadata")
    @classmethod
    def _small_metadata(cls, metadata: dict[str, Any] | None) -> dict[str, Any] | None:
        if metadata is not None and len(json.dumps(metadata)) > MAX_METADATA_BYTES:
            raise ValueError(f"must be at most {MAX_METADATA_BYTES} bytes of JSON")
        return metadata


# normalise_code's rule for OpenAPI: 3-20 ASCII letters or digits among any other characters.
CODE_SCHEMA = f"^[^A-Za-z0-9]*(?:[A-Za-z0-9][^A-Za-z0-9]*){{{CODE_MIN},{CODE_MAX}}}$"

SECURITY_SCHEMES = {"affonso_api_key": {"type": "http", "scheme": "bearer",
                                        "description": "The programme's API key (token route only)"}}
SECURITY: list[dict[str, list[str]]] = [{"affonso_api_key": []}]


class AffonsoCouponRequest(Model):
    token: str = Field(description="The embed token from POST /v1/embed/token")
    code: str = Field(description="3-20 letters and digits once other characters are removed; upper-cased",
                      examples=["JOHN20"], json_schema_extra={"pattern": CODE_SCHEMA})


def api_key(authorization: str | None) -> str | None:
    """The key in ``Authorization: Bearer <key>`` (scheme in any letter case), or None."""
    presented = credentials.from_authorization(authorization)
    return presented.secret if presented.scheme == "bearer" else None


def profile(request: AffonsoTokenRequest) -> PartnerProfile:
    return PartnerProfile(
        email=request.partner.email,
        name=request.partner.name,
        image=request.partner.image,
        group_id=request.groupId,
        external_user_id=request.externalUserId,
        metadata_json=json.dumps(request.metadata, sort_keys=True) if request.metadata is not None else None,
    )


def token_created(issued: IssuedToken) -> Response:
    return _ok({
        "publicToken": issued.token,
        "expiresAt": _timestamp(issued.expires_at),
        "link": _link(issued.programme.settings.website_url, issued.affiliate.id),
        "partnershipStatus": PARTNERSHIP_STATUS,
    })


def embed_data(dashboard: Dashboard) -> Response:
    """Affonso's "Get Embed Data" payload, field for field (docs/affonso.md says where each comes from)."""
    session = dashboard.session
    affiliate, settings = session.affiliate, session.programme.settings
    # The blueprint is offered while the affiliate may choose a code: none yet, or its code is paused.
    blueprint = settings.coupon_blueprint if session.coupon is None or dashboard.paused_at else None
    stats = dashboard.earnings.stats
    return _ok({
        "affiliate": {"name": affiliate.name, "email": affiliate.email, "trackingId": affiliate.id,
                      "avatarUrl": affiliate.image},
        "link": _link(settings.website_url, affiliate.id),
        "websiteUrl": settings.website_url,
        "rewards": _rewards(settings),
        "incentives": [{"name": i.name, "description": i.description} for i in settings.incentives],
        "stats": {
            "clicks": None,  # not tracked: links lead to the brand's site, not through this service
            "leads": None,  # not tracked
            "sales": stats.sales,
            "salesAmount": _number(stats.sales_amount),
            "currency": stats.currency,
            # Approval and payout happen outside this service: only pending is known.
            "earnings": {"pending": _number(stats.pending), "approved": None, "paid": None},
        },
        "earnings": [_earning(e) for e in dashboard.earnings.listed],
        "portalUrl": settings.portal_url,
        "coupon": {**coupon(session.coupon), **_pause(dashboard)} if session.coupon else None,
        "couponBlueprint": _discount(blueprint) if blueprint else None,
        "creatives": [_creative(c) for c in settings.creatives],
        "program": {"name": settings.name, "logoUrl": settings.logo_url},
        "theme": {"primaryColor": settings.theme.primary_color, "secondaryColor": settings.theme.secondary_color},
        "token": dashboard.token,
    })


def _rewards(settings: ProgrammeSettings) -> dict[str, Any] | None:
    terms = settings.rewards
    if terms is None:
        return None
    return {"type": terms.type.value, "amount": _number(terms.amount), "recurring": terms.recurring,
            "duration": terms.duration, "currency": settings.currency}


def _earning(earning: Earning) -> dict[str, Any]:
    return {"id": earning.id, "customerId": earning.customer_id, "date": _timestamp(earning.date),
            "amount": _number(earning.amount), "currency": earning.currency,
            "commission": _number(earning.commission), "status": earning.status}


def _creative(creative: Creative) -> dict[str, Any]:
    dimensions = ({"width": creative.width, "height": creative.height}
                  if creative.width and creative.height else None)
    return {"id": creative.id, "name": creative.name, "description": creative.description,
            "category": creative.category, "url": creative.url, "dimensions": dimensions}


PAUSED_REASON = ("This code appears to have leaked to coupon sites, so it no longer applies at checkout. "
                 "Its past sales are still yours. Choose a new code below and share that one instead.")


def _pause(dashboard: Dashboard) -> dict[str, Any]:
    """Our addition to Affonso's coupon: whether it is paused, why in plain words, the codes it replaced."""
    paused = dashboard.paused_at is not None
    return {"paused": paused, "pausedReason": PAUSED_REASON if paused else None,
            "previousCodes": list(dashboard.session.coupon.previous_codes if dashboard.session.coupon else ())}


def coupon(created: Coupon) -> dict[str, Any]:
    return {"code": created.code, **_discount(created.discount)}


def coupon_created(created: Coupon) -> Response:
    return _ok(coupon(created))


def error(exc: CouponError) -> Response:
    status, code, title = next((s, c, t) for cls, s, c, t in _ERRORS if isinstance(exc, cls))
    detail: dict[str, Any] = {"code": code, "message": title or exc.message}
    if isinstance(exc, DailyLimitReached):  # as Affonso's own 429: seconds to wait, in the body and the header
        detail["retryAfter"] = exc.retry_after
        return _json(status, {"success": False, "error": detail}, headers={"Retry-After": str(exc.retry_after)})
    return _json(status, {"success": False, "error": detail})


def malformed(problems: list[dict[str, Any]]) -> Response:
    """Powertools' request validation failed: not JSON, a missing field, a wrong type."""
    if next(iter(problems), {}).get("type") == "json_invalid":
        return error(InvalidRequest("The request body is not valid JSON"))
    where, message = first_problem(problems, "is invalid")
    return error(InvalidRequest(f"{where}: {message}" if where else message))


def _discount(discount: Discount) -> dict[str, Any]:
    # Exactly Affonso's two fields; a flat blueprint's currency is the programme's (admin CLI).
    return {"discountType": _DISCOUNT_TYPE[discount.kind], "discountValue": _number(discount.value or Decimal(0))}


def _number(value: Decimal | None) -> int | float | None:
    """A JSON number as Affonso writes them (20, 19.8). Decimal all the way here; only the JSON
    text is a float, and a two-decimal amount below 10^15 reads back exactly."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _link(website_url: str | None, tracking_id: str) -> str | None:
    if not website_url:
        return None
    return f"{website_url}{'&' if '?' in website_url else '?'}via={tracking_id}"


def _timestamp(moment: datetime) -> str:
    """``2024-01-15T10:30:00.000Z``, as Affonso writes times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _ok(data: dict[str, Any]) -> Response:
    return _json(200, {"success": True, "data": data})


# The answers' shapes, for OpenAPI (the routes' responses=).
_ERROR_CODES: dict[str, Any] = {"enum": sorted({code for _, _, code, _ in _ERRORS})}


class AffonsoErrorDetail(Model):
    code: str = Field(json_schema_extra=_ERROR_CODES)
    message: str
    retryAfter: int | None = Field(None, description="RATE_LIMIT_EXCEEDED only: seconds until the daily budget starts again")


class AffonsoError(Model):
    success: bool = Field(json_schema_extra={"const": False})
    error: AffonsoErrorDetail


class AffonsoOk(Model):
    success: bool = Field(json_schema_extra={"const": True})
    data: dict[str, Any]

"""The Affonso wire format: request models, the error envelope and the success shapes."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from coupons.affonso import wire
from coupons.affonso.affiliates import AlreadyHasCoupon, Coupon, InvalidCodeFormat, SelfServiceNotEnabled, TokenExpired
from coupons.core.errors import CodeTaken, Forbidden, InvalidRequest, NotFound, Unauthenticated, Unavailable
from coupons.core.models import Discount, DiscountKind


@pytest.mark.parametrize(
    "error, status, code, message",
    [
        (AlreadyHasCoupon("x"), 409, "ALREADY_HAS_COUPON", "Already Has Coupon"),
        (CodeTaken("x"), 409, "CODE_TAKEN", "Code Taken"),
        (SelfServiceNotEnabled("x"), 403, "SELF_SERVICE_NOT_ENABLED", "Self-Service Not Enabled"),
        (InvalidCodeFormat("x"), 400, "INVALID_CODE_FORMAT", "Invalid Code Format"),
        (TokenExpired("x"), 401, "TOKEN_EXPIRED", "Token Expired"),
        (InvalidRequest("partner.email: Field required"), 400, "VALIDATION_ERROR", "partner.email: Field required"),
        (NotFound("Unknown programme"), 404, "NOT_FOUND", "Unknown programme"),
        (Unauthenticated("no key"), 401, "UNAUTHORIZED", "no key"),
        (Forbidden("bad key"), 401, "UNAUTHORIZED", "bad key"),
        (Unavailable("busy"), 503, "SERVICE_UNAVAILABLE", "busy"),
    ],
)
def test_errors_use_the_envelope_with_the_recorded_codes(error, status, code, message):
    response = wire.error(error)
    assert response.status_code == status
    assert response.body == {"success": False, "error": {"code": code, "message": message}}


@pytest.mark.parametrize(
    "header, key",
    [("Bearer demo-key", "demo-key"), ("bearer  demo-key ", "demo-key"), ("Basic demo-key", None), ("Bearer", None),
     ("", None), (None, None), ("demo-key", None)],
)
def test_api_key_comes_from_a_bearer_authorization_header(header, key):
    assert wire.api_key(header) == key


def test_token_request_reads_affonsos_fields():
    request = wire.AffonsoTokenRequest.model_validate({
        "programId": "demo", "partner": {"email": " John@Example.com ", "name": "John", "image": "https://x/a.png"},
        "groupId": "grp", "externalUserId": "u1", "metadata": {"plan": "pro", "seats": 2.5},
    })
    profile = wire.profile(request)
    assert (profile.email, profile.name, profile.image, profile.group_id, profile.external_user_id) == (
        "John@Example.com", "John", "https://x/a.png", "grp", "u1")
    assert profile.metadata_json == '{"plan": "pro", "seats": 2.5}'


@pytest.mark.parametrize(
    "body",
    [
        {"partner": {"email": "a@b.co"}},  # no programId
        {"programId": "demo"},  # no partner
        {"programId": "demo", "partner": {"name": "x"}},  # no email
        {"programId": "demo", "partner": {"email": "not-an-email"}},
        {"programId": "demo", "partner": {"email": "a b@c.d"}},
        {"programId": "", "partner": {"email": "a@b.co"}},
        {"programId": "demo", "partner": {"email": "a@b.co"}, "externalUserId": "x" * 256},
        {"programId": "demo", "partner": {"email": "a@b.co"}, "metadata": {"k": "v" * 9000}},
        {"programId": "demo", "partner": {"email": "a@b.co"}, "metadata": ["not", "an", "object"]},
    ],
)
def test_token_request_refuses_what_affonso_would(body):
    with pytest.raises(ValidationError):
        wire.AffonsoTokenRequest.model_validate(body)


def test_external_user_id_may_be_255_characters():
    wire.AffonsoTokenRequest.model_validate({"programId": "d", "partner": {"email": "a@b.co"}, "externalUserId": "x" * 255})


def test_coupon_success_is_exactly_affonsos_shape():
    percent = wire.coupon_created(Coupon(code="JOHN20", discount=Discount(kind=DiscountKind.PERCENT, value=Decimal("20.00"))))
    assert percent.status_code == 200
    assert percent.body == {"success": True, "data": {"code": "JOHN20", "discountType": "percentage", "discountValue": 20}}
    flat = wire.coupon(Coupon(code="F1", discount=Discount(kind=DiscountKind.FIXED, value=Decimal("7.50"), currency="EUR")))
    assert flat == {"code": "F1", "discountType": "flat", "discountValue": 7.5}


def test_times_are_written_as_affonso_writes_them():
    assert wire._timestamp(datetime(2024, 1, 15, 10, 30, 0, 123456, tzinfo=UTC)) == "2024-01-15T10:30:00.123Z"


def test_malformed_requests_name_the_field():
    response = wire.malformed([{"type": "missing", "loc": ("body", "partner", "email"), "msg": "Field required"}])
    assert (response.status_code, response.body["error"]) == (400, {"code": "VALIDATION_ERROR",
                                                                    "message": "partner.email: Field required"})
    not_json = wire.malformed([{"type": "json_invalid", "loc": ("body", 10), "msg": "JSON decode error"}])
    assert not_json.body["error"] == {"code": "VALIDATION_ERROR", "message": "The request body is not valid JSON"}

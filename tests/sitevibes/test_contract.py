"""The SiteVibes wire format and reward settings: bodies -> an email, errors -> their shape."""

import base64
from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from coupons.core.errors import CodeTaken, Forbidden, InvalidRequest, LimitReached, Unauthenticated, Unavailable
from coupons.core.models import Discount, DiscountKind
from coupons.sitevibes import wire
from coupons.sitevibes.rewards import CodePattern, RewardExpired, RewardSettings


@pytest.mark.parametrize(
    "body, email",
    [
        ('{"email": "john.smith@email.com"}', "john.smith@email.com"),
        ('{"email": "  John.Smith@Email.com "}', "John.Smith@Email.com"),  # case is the domain's business
        ('{"email": "a+tag@sub.example.co.uk", "name": "ignored"}', "a+tag@sub.example.co.uk"),
        ('{"email": "j\\u00f6rg@b\\u00fccher.de"}', "jörg@bücher.de"),
    ],
)
def test_the_email_is_read_from_the_json_body(body, email):
    assert wire.parse(body) == email


def test_a_base64_encoded_body_is_decoded_first():
    assert wire.parse(base64.b64encode(b'{"email": "a@b.co"}').decode(), is_base64_encoded=True) == "a@b.co"


@pytest.mark.parametrize(
    "body, error, says",
    [
        (None, wire.BodyNotJson, "empty"),
        ("", wire.BodyNotJson, "empty"),
        ("email=john.smith%40email.com", wire.BodyNotJson, "not valid JSON"),
        ('{"email": "a@b.co"', wire.BodyNotJson, "not valid JSON"),
        ("[" * 5000, wire.BodyNotJson, "not valid JSON"),
        ('["a@b.co"]', InvalidRequest, "JSON object"),
        ('"a@b.co"', InvalidRequest, "JSON object"),
        ("{}", wire.BadEmail, "missing"),
        ('{"email": null}', wire.BadEmail, "missing"),
        ('{"email": ""}', wire.BadEmail, "missing"),
        ('{"email": 42}', wire.BadEmail, "string"),
        ('{"email": "john.smith"}', wire.BadEmail, "not an email address"),
        ('{"email": "john smith@email.com"}', wire.BadEmail, "not an email address"),
        ('{"email": "john@email"}', wire.BadEmail, "not an email address"),
        ('{"email": "john@@email.com"}', wire.BadEmail, "not an email address"),
        ('{"email": "john@email..com"}', wire.BadEmail, "not an email address"),
        ('{"email": "jo\\u0000hn@email.com"}', wire.BadEmail, "not an email address"),
        ('{"email": "' + "a" * 250 + '@email.com"}', wire.BadEmail, "..."),
    ],
)
def test_bad_bodies_are_explained(body, error, says):
    with pytest.raises(error) as refused:
        wire.parse(body)
    assert says in refused.value.message


def test_a_body_that_is_not_base64_or_not_utf8_is_not_json():
    with pytest.raises(wire.BodyNotJson):
        wire.parse("%%%not-base64%%%", is_base64_encoded=True)
    with pytest.raises(wire.BodyNotJson):
        wire.parse(base64.b64encode(b'{"email": "\xff\xfe@b.co"}').decode(), is_base64_encoded=True)


@pytest.mark.parametrize(
    "error, status, code",
    [
        (wire.BodyNotJson("x"), 400, "INVALID_JSON"),
        (wire.BadEmail("x"), 400, "INVALID_EMAIL"),
        (RewardExpired("x"), 400, "REWARD_EXPIRED"),
        (InvalidRequest("x"), 400, "INVALID_REQUEST"),
        (Unauthenticated("x"), 401, "UNAUTHORIZED"),
        (Forbidden("x"), 401, "UNAUTHORIZED"),
        (CodeTaken("x"), 409, "CODE_TAKEN"),
        (LimitReached("x"), 429, "LIMIT_REACHED"),
        (Unavailable("x"), 503, "UNAVAILABLE"),
    ],
)
def test_errors_have_one_shape(error, status, code):
    response = wire.error(error)
    assert response.status_code == status
    assert response.body == {"error": {"code": code, "message": "x"}}


def test_success_is_the_coupon_code_alone():
    response = wire.issued("SV7KQ2M9XA")
    assert (response.status_code, response.body) == (200, {"coupon_code": "SV7KQ2M9XA"})
    assert wire.issued("").body == {"coupon_code": ""}


# ---- reward settings ----------------------------------------------------------------------------

PERCENT = Discount(kind=DiscountKind.PERCENT, value=Decimal(10))


def test_defaults_are_no_retry_window_and_no_look_alikes():
    settings = RewardSettings(header_name="X-Api-Key", discount=PERCENT)
    assert settings.retry_window_seconds == 0  # every request a new code; the window is an opt-in
    assert not set(settings.pattern.alphabet) & set("01OI")


def test_a_pattern_is_upper_cased_and_generates_codes_that_match_it():
    pattern = CodePattern(prefix="vip", length=7, alphabet="abcdefgh")
    code = pattern.generate()
    assert code.startswith("VIP") and len(code) == 10 and set(code[3:]) <= set("ABCDEFGH")


@pytest.mark.parametrize(
    "pattern, says",
    [
        ({"prefix": "SV-"}, "A-Z"),
        ({"alphabet": "AB0O-"}, "A-Z"),
        ({"alphabet": "AAB"}, "each listed once"),
        ({"alphabet": "AB", "length": 8}, "fewer than"),
        ({"length": 2}, "greater than or equal"),
        ({"prefix": "P" * 60, "length": 8}, "64"),
    ],
)
def test_patterns_that_cannot_work_are_refused(pattern, says):
    with pytest.raises(ValidationError, match=says):
        CodePattern(**pattern)


@pytest.mark.parametrize(
    "settings, says",
    [
        ({"header_name": "X Api Key", "discount": PERCENT}, "header name"),
        ({"header_name": "X-Api-Key"}, "needs a discount"),
        ({"header_name": "X-Api-Key", "discount": Discount(kind=DiscountKind.GIFT_CARD, value=10, currency="EUR")},
         "gift cards"),
        ({"header_name": "X-Api-Key", "discount": PERCENT, "expires_on": date(2030, 1, 1), "valid_days": 30},
         "not both"),
        ({"header_name": "X-Api-Key", "discount": PERCENT, "retry_window_seconds": -1}, "greater than or equal"),
    ],
)
def test_settings_that_cannot_work_are_refused(settings, says):
    with pytest.raises(ValidationError, match=says):
        RewardSettings(**settings)


def test_a_reward_without_a_code_needs_no_discount():
    assert RewardSettings(header_name="Authorization", gives_code=False).discount is None

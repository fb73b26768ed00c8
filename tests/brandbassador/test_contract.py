"""The Brandbassador wire format: query parameters -> a code request, or a readable error."""

from datetime import date
from decimal import Decimal

import pytest

from coupons.brandbassador import wire
from coupons.core.errors import CodeTaken, Forbidden, InvalidRequest, NotFound, Unauthenticated


def query(**params) -> wire.CodeQuery:
    return wire.CodeQuery(**params)


def test_percent_code_with_every_field():
    request = wire.parse(query(code="john20", percentage="20.00", expire="2030-12-31", u_limit="5",
                                   description="summer", ambassador="amb-1"))
    assert request.code == "JOHN20" and request.raw_code == "john20"
    assert request.percentage == Decimal("20.00") and request.amount is None
    assert request.expires_on == date(2030, 12, 31) and request.max_uses == 5
    assert request.ambassador == "amb-1" and request.description == "summer"


def test_gift_card_with_and_without_currency():
    assert wire.parse(query(code="GIFT1", amount="1000.00", currency="usd")).currency == "USD"
    assert wire.parse(query(code="GIFT1", amount="1000.00")).currency is None  # webshop's base later


def test_aliases_are_accepted():
    request = wire.parse(query(code="ALIAS1", percent="15", totime="2031-01-01"))
    assert request.percentage == 15 and request.expires_on == date(2031, 1, 1)
    assert wire.presented_key(query(auth="k1")) == "k1"
    assert wire.presented_key(query(key="k2")) == "k2"


@pytest.mark.parametrize(
    "params, says",
    [
        ({"code": "A1B2", "percentage": "10", "amount": "10.00"}, "not both"),
        ({"code": "A1B2"}, "neither"),
        ({"percentage": "10"}, "missing"),
        ({"code": "A-1", "percentage": "10"}, "A-Z"),
        ({"code": "A1B2", "percentage": "101"}, "at most 100"),
        ({"code": "A1B2", "percentage": "ten"}, "format"),
        ({"code": "A1B2", "amount": "10,00"}, "format"),
        ({"code": "A1B2", "amount": "10.00", "currency": "EURO"}, "ISO 4217"),
        ({"code": "A1B2", "percentage": "10", "currency": "EUR"}, "gift cards"),
        ({"code": "A1B2", "percentage": "10", "expire": "31-12-2030"}, "yyyy-mm-dd"),
        ({"code": "A1B2", "percentage": "10", "expire": "2030-02-30"}, "yyyy-mm-dd"),
        ({"code": "A1B2", "percentage": "10", "u_limit": "0"}, "u_limit"),
        ({"code": "A1B2", "percentage": "10", "u_limit": "two"}, "u_limit"),
        ({"code": "A1B2", "percentage": "10", "percent": "20"}, "disagree"),
    ],
)
def test_bad_input_is_explained(params, says):
    with pytest.raises(InvalidRequest) as refused:
        wire.parse(query(**params))
    assert says in refused.value.message


@pytest.mark.parametrize(
    "error, status",
    [(InvalidRequest("x"), 400), (Unauthenticated("x"), 401), (Forbidden("x"), 403), (NotFound("x"), 404),
     (CodeTaken("x"), 409)],
)
def test_errors_use_brandbassadors_shape(error, status):
    response = wire.error(error)
    assert response.status_code == status
    expected = "Discount code already exists" if status == 409 else "x"
    assert response.body == {"status": 0, "error": expected}

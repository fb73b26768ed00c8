"""The Friendbuy wire format: bodies -> domain requests, errors -> one JSON shape with 4xx statuses."""

from decimal import Decimal

import pytest
from pydantic import ValidationError

from coupons.core.errors import CodeTaken, Forbidden, InvalidRequest, NotFound, Unauthenticated, Unavailable
from coupons.friendbuy import wire
from coupons.friendbuy.banks import BankEmpty
from coupons.friendbuy.referrals import AdvocateHasCode

SEED_USE_CASE_1 = {"campaign": {"id": 53345}, "customer": {"id": "C9911", "first_name": "Jaylene", "last_name": "Zheng",
                                                           "email": "jzheng@example.mil"}, "coupon_bank_id": {"id": "9900"}}
SEED_USE_CASE_2 = {"campaign": {"id": 53345}, "customer": {"id": "C9911", "first_name": "Georgie", "last_name": "Clooney",
                                                           "email": "cloondog@example.mil"}, "coupon_code": "Clooney1"}


def referral(body: dict):
    return wire.parse_referral_request(wire.ReferralCodeBody.model_validate(body))


def test_the_seeds_use_case_1_body():
    request = referral(SEED_USE_CASE_1)
    assert (request.campaign_id, request.bank_id, request.coupon_code) == ("53345", "9900", None)
    assert request.advocate.identity == "ID#C9911" and request.advocate.first_name == "Jaylene"


def test_the_seeds_use_case_2_body_any_case():
    request = referral(SEED_USE_CASE_2)
    assert (request.coupon_code, request.bank_id) == ("CLOONEY1", None)


def test_email_alone_identifies_the_advocate_when_there_is_no_customer():
    request = referral({"campaign": {"id": "53345"}, "email": "Sam@Example.ORG", "coupon_bank_id": {"id": 9900}})
    assert request.advocate.identity == "EMAIL#sam@example.org" and request.bank_id == "9900"


@pytest.mark.parametrize("change, says", [
    ({"campaign": None}, "campaign.id is required"),
    ({"campaign": {}}, "campaign.id is required"),
    ({"campaign": {"id": "53 345"}}, "may only hold"),
    ({"customer": {"id": "C1"}}, "customer.email is required"),
    ({"customer": {"id": "C1", "email": "not-an-email"}}, "not an email"),
    ({"customer": None}, "email (or a customer object with an email) is required"),
    ({"coupon_bank_id": None}, "Send coupon_bank_id"),
    ({"coupon_code": "X1X1"}, "not both"),
    ({"coupon_bank_id": None, "coupon_code": "CLOONEY_1"}, "hyphens"),
    ({"coupon_bank_id": None, "coupon_code": "-CLOONEY1"}, "not first or last"),
    ({"customer": {"id": "C" * 129, "email": "a@b.co"}}, "at most 128"),
])
def test_bad_referral_bodies_are_explained(change, says):
    with pytest.raises(InvalidRequest) as refused:
        referral({**SEED_USE_CASE_1, **change})
    assert says in refused.value.message


def test_purchase_with_the_merchant_apis_fields():
    body = wire.PurchaseBody.model_validate({
        "orderId": "test-order-123", "email": "User@Example.com", "customerId": 15534334, "firstName": "Test",
        "amount": 10.1, "currency": "usd", "isNewCustomer": False, "couponCode": "friend1", "refCode": "xhaf5hps",
        "products": [{"sku": "SKU1", "name": "Mug", "quantity": 1, "price": 10.1}]})
    purchase = wire.parse_purchase(body)
    assert (purchase.order_id, purchase.customer_id, purchase.amount, purchase.currency) == (
        "test-order-123", "15534334", Decimal("10.1"), "USD")
    assert (purchase.email, purchase.coupon_code, purchase.referral_code) == ("user@example.com", "friend1", "xhaf5hps")
    assert purchase.products[0].price == Decimal("10.1")


@pytest.mark.parametrize("change", [{"amount": "10.00"}, {"amount": -1}, {"amount": True}, {"currency": 5},
                                    {"isNewCustomer": "yes"}, {"products": [{"quantity": -1}]}])
def test_purchase_field_types_are_checked(change):
    with pytest.raises(ValidationError):  # Powertools answers it through wire.malformed: a 422
        wire.PurchaseBody.model_validate({"orderId": "1", "customerId": "2", "amount": 1, "currency": "USD", **change})


def test_referral_code_and_ref_code_may_not_disagree():
    body = wire.PurchaseBody.model_validate({"orderId": "1", "customerId": "2", "amount": 1, "currency": "USD",
                                                 "referralCode": "a", "refCode": "b"})
    with pytest.raises(InvalidRequest, match="disagree"):
        wire.parse_purchase(body)


@pytest.mark.parametrize("error, status, reason", [
    (InvalidRequest("x"), 422, "Unprocessable Entity"), (wire.MalformedBody("x"), 400, "Bad Request"),
    (Unauthenticated("x"), 401, "Unauthorized"), (Forbidden("x"), 401, "Unauthorized"), (NotFound("x"), 404, "Not Found"),
    (CodeTaken("x"), 409, "Conflict"), (AdvocateHasCode("x"), 409, "Conflict"), (BankEmpty("x"), 409, "Conflict"),
    (Unavailable("x"), 429, "Too Many Requests"),
])
def test_errors_share_one_shape(error, status, reason):
    response = wire.error(error, "req-1")
    assert (response.status_code, response.body) == (status, {"error": reason, "message": "x", "code": status,
                                                                   "reference": "req-1"})


def test_lookup_needs_exactly_one_of_email_and_customer_id():
    assert wire.parse_lookup("A@B.co", None, None) == ("a@b.co", None, None)
    assert wire.parse_lookup(None, "C1", "53345") == (None, "C1", "53345")
    for args in ((None, None, None), ("a@b.co", "C1", None)):
        with pytest.raises(InvalidRequest):
            wire.parse_lookup(*args)


def test_lookup_by_customer_id_refuses_control_characters():
    with pytest.raises(InvalidRequest, match="control characters"):
        wire.parse_lookup(None, "C\x001", None)

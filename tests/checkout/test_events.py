"""The handlers invoked with events/checkout/*.json, as `sam local invoke -e` does."""

import json
from decimal import Decimal

import pytest

from coupons.core import code_items
from localrun.demo.checkout import add_sample_codes
from tests.checkout.conftest import drain, local_delivery
from tests.conftest import FakeContext, body, event_names, load_event

EXPECTED = {
    "validate-percent": (200, {"valid": True, "code": "CHECKOUT10", "kind": "percent", "value": "10.00",
                               "currency": "EUR", "discount": "10.00", "shipping_discount": "0.00",
                               "gift_card_amount": "0.00", "balance": None, "to_pay": "94.90",
                               "gift_card_debit": None}),
    "validate-gift-card": (200, {"valid": True, "code": "CHECKOUTGIFT", "kind": "gift_card", "value": "500.00",
                                 "currency": "EUR", "discount": "0.00", "shipping_discount": "0.00",
                                 "gift_card_amount": "30.00", "balance": "500.00", "to_pay": "74.90",
                                 "gift_card_debit": None}),
    "validate-unknown": (404, {"error": {"code": "unknown", "message": "The code NOSUCHCODE does not exist"}}),
    "validate-expired": (422, {"error": {"code": "expired", "message": "The code CHECKOUTOLD expired on 2020-12-31"}}),
    "validate-without-key": (401, {"error": {"code": "unauthenticated",
                                             "message": "Send the checkout key as 'Authorization: Bearer <key>'"}}),
    "validate-bad-amount": (400, {"error": {"code": "invalid_request", "message":
                                            "cart.subtotal: The amount 'ten' is not a number in the format 1000.00 "
                                            "(ASCII digits and a dot: no spaces, exponent or thousands separator)"}}),
    "redeem-gift-card-overdraw": (422, {"error": {"code": "insufficient_balance", "message":
                                        "The gift card CHECKOUTGIFT has 500.00 EUR left, less than 600.00"}}),
    "redeem-currency-mismatch": (422, {"error": {"code": "currency_mismatch",
                                                 "message": "The code CHECKOUTGIFT is in EUR, the cart in USD, and no EUR/USD exchange rate is set"}}),
    "redeem-wrong-key": (401, {"error": {"code": "unauthenticated", "message": "The checkout key is not valid"}}),
    "rollback-unknown": (404, {"error": {"code": "not_found",
                                         "message": "Unknown redemption 'CHECKOUT10.000000000000000000000000'"}}),
    "gift-card-not-a-gift-card": (422, {"error": {"code": "not_a_gift_card",
                                                  "message": "The code CHECKOUT10 is not a gift card"}}),
    # the liability at the end of 2030: the samples' one 500.00 EUR card, untouched (no redemption yet)
    "report-gift-cards": (200, {"as_of": "2030-12-31", "currencies": [
        {"currency": "EUR", "cards": 1, "issued": "500.00", "spent": "0.00", "refunded": "0.00", "expired": "0.00",
         "outstanding": "500.00"}]}),
    "report-gift-cards-bad-date": (400, {"error": {"code": "invalid_request", "message":
                                                   "The as_of '31.12.2030' is not a date in the format yyyy-mm-dd"}}),
    "sale-unknown-ref": (422, {"error": {"code": "unknown_ref", "message":
                                         "The ref 'zz-42' belongs to no partner this service reports to "
                                         "(bb… (brandbassador))"}}),
    "sale-malformed-ref": (422, {"error": {"code": "malformed_ref", "message":
                                           "The ref 'bb 42!' is not a tracking reference: 2 to 100 ASCII letters, "
                                           "digits, '-' and '_', such as bb-123"}}),
    "sale-unknown-webshop": (422, {"error": {"code": "unknown_account", "message":
                                             "No brandbassador account 'no-such-shop' is configured: check the "
                                             "account field"}}),
}


@pytest.fixture(autouse=True)
def sample_codes(demo_table):
    add_sample_codes(demo_table)


REDEEMING = {"redeem-percent", "redeem-tracking-link", "redeem-gift-card"}
AFTER_A_REDEMPTION = {"refund-partial", "refund-too-much"}


def test_every_sample_event_has_an_expectation():
    assert set(event_names("checkout")) == (set(EXPECTED) | REDEEMING | AFTER_A_REDEMPTION
                                            | {"gift-card-balance", "sale-tracking-link", "report-gift-cards-csv"})


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_event(handler, name):
    response = handler("CheckoutFunction")(load_event("checkout", name))
    assert (response["statusCode"], body(response)) == EXPECTED[name]
    assert response["headers"]["Content-Type"] == "application/json"


@pytest.mark.parametrize("name", sorted(REDEEMING))
def test_redeem_sample_then_its_retry(handler, demo_table, name):
    invoke = handler("CheckoutFunction")
    event = load_event("checkout", name)
    first, again = invoke(event), invoke(event)
    assert (first["statusCode"], again["statusCode"]) == (201, 200)
    assert body(again) == {**body(first), "replayed": True}
    sent = json.loads(event["body"])
    assert body(first)["attributed_to"] == {"partner": "brandbassador", "account": "demo", "person": "demo-ambassador"}
    assert code_items.get(demo_table, sent["code"]).uses == 1


def test_gift_card_balance_after_a_spend_and_a_rollback(handler):
    invoke = handler("CheckoutFunction")
    spent = body(invoke(load_event("checkout", "redeem-gift-card")))
    balance = body(invoke(load_event("checkout", "gift-card-balance")))
    assert (balance["balance"], balance["currency"], [h["amount"] for h in balance["history"]]) == (
        "475.00", "EUR", ["25.00"])
    rollback = load_event("checkout", "rollback-unknown")
    rollback["pathParameters"] = {"redemption": spent["id"]}
    rollback["rawPath"] = f"/checkout/redemptions/{spent['id']}/rollback"
    assert [body(invoke(rollback))["replayed"] for _ in range(2)] == [False, True]
    assert body(invoke(load_event("checkout", "gift-card-balance")))["balance"] == "500.00"


def test_sender_handler_delivers_the_sale_of_the_redeem_sample(handler, demo_table, stub):
    """events/sender/sale-tracking-link.json is the queue's message for the redeem-tracking-link sale."""
    handler("CheckoutFunction")(load_event("checkout", "redeem-tracking-link"))
    sales = local_delivery(demo_table, stub)  # the sender's handler, partners at the stub
    message = load_event("sender", "sale-tracking-link")
    assert sales.handler(message, FakeContext()) == {"batchItemFailures": []}
    [call] = stub.answered()
    assert (call["path"], call["query"]) == ("/tracking/pixel.gif", {  # 10 % off 100.00 of goods
        "order_id": "1003", "total": "90.00", "tracking_link": "true", "ref": "bb-42", "key": "demo-key",
        "currency": "EUR"})
    # the same message again (SQS delivers at least once): nothing is sent twice
    assert sales.handler(message, FakeContext()) == {"batchItemFailures": []}
    assert len(stub.calls) == 1 and sales.due() == []


def test_sender_handler_reports_a_failed_delivery_for_that_message_only(handler, demo_table, stub):
    handler("CheckoutFunction")(load_event("checkout", "redeem-tracking-link"))
    stub.fail_next(1)
    sales = local_delivery(demo_table, stub)
    message = load_event("sender", "sale-tracking-link")
    answer = sales.handler(message, FakeContext())
    assert answer == {"batchItemFailures": [{"itemIdentifier": message["Records"][0]["messageId"]}]}
    assert sales.handler(message, FakeContext()) == {"batchItemFailures": []}
    assert [c["status"] for c in stub.calls] == [503, 200]


def test_refund_samples_after_the_gift_card_redemption(handler, demo_table):
    invoke = handler("CheckoutFunction")
    assert invoke(load_event("checkout", "redeem-gift-card"))["statusCode"] == 201
    first, again = (invoke(load_event("checkout", "refund-partial")) for _ in range(2))
    # 20.98 of the order total 104.90 is a fifth: a fifth of the 25.00 paid by card goes back on it
    assert (first["statusCode"], body(first)) == (201, {
        "refund_id": "RMA-1", "redemption_id": body(first)["redemption_id"], "currency": "EUR", "amount": "20.98",
        "gift_card_amount": "5.00", "gift_card_credit": None, "goods_amount": "20.00", "refunded_total": "20.98",
        "refundable": "83.92",
        "created_at": body(first)["created_at"], "replayed": False})
    assert (again["statusCode"], body(again)) == (200, {**body(first), "replayed": True})
    assert code_items.get(demo_table, "CHECKOUTGIFT").balance == Decimal("480.00")
    too_much = invoke(load_event("checkout", "refund-too-much"))
    assert (too_much["statusCode"], body(too_much)["error"]["code"]) == (422, "refund_exceeds_paid")


def test_liability_csv_sample_after_a_spend_a_refund_and_a_rollback(handler):
    """The CSV a spreadsheet opens: the CLI's columns; the card's 25.00 spent, 5.00 refunded onto it,
    then the 20.00 left given back by the rollback."""
    invoke = handler("CheckoutFunction")
    spent = body(invoke(load_event("checkout", "redeem-gift-card")))
    invoke(load_event("checkout", "refund-partial"))
    rollback = load_event("checkout", "rollback-unknown")
    rollback["pathParameters"] = {"redemption": spent["id"]}
    rollback["rawPath"] = f"/checkout/redemptions/{spent['id']}/rollback"
    invoke(rollback)
    answer = invoke(load_event("checkout", "report-gift-cards-csv"))
    assert (answer["statusCode"], answer["headers"]["Content-Type"], answer["body"]) == (
        200, "text/csv; charset=utf-8", "currency,cards,issued,spent,refunded,expired,outstanding\r\n"
                                        "EUR,1,500.00,25.00,25.00,0.00,500.00\r\n")
    assert answer["headers"]["Content-Disposition"] == 'attachment; filename="gift-card-liability-2030-12-31.csv"'


def test_sale_sample_then_its_retry_sends_one_tracking_link_pixel(handler, demo_table, stub):
    invoke = handler("CheckoutFunction")
    first, again = (invoke(load_event("checkout", "sale-tracking-link")) for _ in range(2))
    assert (first["statusCode"], again["statusCode"]) == (201, 200)
    assert body(first)["paid_goods_total"] == "100.00"  # 119.00 with 19.00 VAT included
    assert body(first)["attributed_to"] == {"partner": "brandbassador", "account": "demo", "person": None}
    drain(local_delivery(demo_table, stub))
    [call] = stub.answered()
    assert call["query"] == {"order_id": "2001", "total": "100.00", "tracking_link": "true", "ref": "bb-42",
                             "key": "demo-key", "currency": "EUR"}

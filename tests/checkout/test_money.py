"""Money as partners count it: the one amount parser, the one date parser, and the paid goods total
every outbound report carries (Brandbassador's pixel, the signed webhook, the CLI report).

The figures are pinned case by case. Brandbassador: "Value is total purchase value (not including
shipping)"; their public Magento integration sends grand total - shipping - tax.
"""

import json
from datetime import date
from decimal import Decimal

import pytest

from coupons.checkout import redemptions
from coupons.core import dates, money
from coupons.core.errors import InvalidRequest
from coupons.core.json_body import loads
from coupons.core.models import Owner
from coupons.core.sales import Cart, Customer
from coupons.sales import webhook_items as webhooks
from tests.checkout.conftest import AUTH, add_code, drain, local_delivery
from tests.conftest import body

# ---- the amount parser -------------------------------------------------------------------------

REFUSED = [
    ("1_000", "EUR"),  # Python's Decimal and int take underscores
    ("١٠٠", "EUR"),  # Arabic-Indic digits: Decimal takes them, \d matches them
    ("１００", "EUR"),  # full-width digits
    (" 100 ", "EUR"),
    ("1E+8", "EUR"),
    ("1e2", "EUR"),
    ("-0", "EUR"),
    ("-0.00", "EUR"),
    ("-5.00", "EUR"),
    ("+5.00", "EUR"),
    ("99.999999999999999", "EUR"),  # never rounded to 100.00
    ("10.001", "EUR"),
    ("1000.5", "JPY"),  # yen have no decimals
    ("1000.00", "JPY"),  # not even zeros: "at most the currency's decimals"
    ("1.2345", "KWD"),
    ("NaN", "EUR"),
    ("Infinity", "EUR"),
    ("1000000000", "EUR"),  # more than 9 integer digits
    ("", "EUR"),
    (".5", "EUR"),
    ("5.", "EUR"),
    (10.3, "EUR"),  # a float: money never goes through one
    (True, "EUR"),
    (Decimal("1E+2"), "EUR"),  # a JSON number written 1e2, read exactly
]


@pytest.mark.parametrize("value, currency", REFUSED)
def test_the_amount_parser_refuses_look_alikes_and_never_rounds(value, currency):
    with pytest.raises(InvalidRequest) as refused:
        money.parse_amount(value, "amount", currency, zero=True)
    assert "amount" in refused.value.message


@pytest.mark.parametrize("value, currency, expected", [
    ("100.00", "EUR", Decimal("100.00")),
    ("0", "EUR", Decimal(0)),
    (100, "EUR", Decimal(100)),
    (Decimal("99.90"), "EUR", Decimal("99.90")),
    ("1999", "JPY", Decimal(1999)),
    ("1.234", "KWD", Decimal("1.234")),
    ("-12.50", "EUR", Decimal("-12.50")),  # only where the contract allows a sign
])
def test_the_amount_parser_takes_plain_amounts(value, currency, expected):
    assert money.parse_amount(value, "amount", currency, zero=True, negative=True) == expected


def test_a_sign_is_refused_unless_the_contract_allows_it():
    with pytest.raises(InvalidRequest, match="must not be negative"):
        money.parse_amount("-12.50", "amount", "EUR")
    with pytest.raises(InvalidRequest, match="negative zero"):
        money.parse_amount("-0", "amount", "EUR", negative=True, zero=True)


def test_json_numbers_are_read_exactly():
    assert loads('{"a": 99.999999999999999, "b": 10.30, "c": 7}') == {
        "a": Decimal("99.999999999999999"), "b": Decimal("10.30"), "c": 7}


@pytest.mark.parametrize("currency, exponent, written", [
    ("EUR", 2, "5.00"), ("JPY", 0, "5"), ("KRW", 0, "5"), ("KWD", 3, "5.000"), ("BHD", 3, "5.000"), ("ISK", 0, "5"),
])
def test_currency_exponents_follow_iso_4217(currency, exponent, written):
    assert (money.exponent(currency), money.to_wire(Decimal(5), currency)) == (exponent, written)


# ---- the date parser ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["2027-W01-1", "20270101", "2027-1-1", "2027-01-01T00:00", "9999-12-31",
                                  "2207-01-01", "1999-12-31", "2027-02-30", "２０２７-01-01", " 2027-01-01"])
def test_dates_are_strictly_yyyy_mm_dd_in_a_sane_range(text):
    with pytest.raises(InvalidRequest):
        dates.parse_day(text, "expiry date")


def test_a_plain_date_is_taken():
    assert dates.parse_day("2027-01-01") == date(2027, 1, 1)


# ---- the paid goods total, as partners receive it ------------------------------------------------

ANNA = Owner(partner="brandbassador", account="demo", person="anna")
SITEVIBES = Owner(partner="sitevibes", account="demo", person="jane@example.com")


def cart(subtotal, currency="EUR", **extra):
    return Cart(subtotal=Decimal(subtotal), currency=currency, **{k: v if isinstance(v, bool) else Decimal(v)
                                                                   for k, v in extra.items()})


# (code kind, value, cart, gift-card amount) -> the pixel's total, the checkout's paid_goods_total
CASES = {
    # 20 % off 100.00 of goods; shipping never counts
    "percent": (("percent", "20", None), cart("100.00", shipping="4.90"), None, "80.00", "80.00"),
    # 15.00 off
    "fixed": (("fixed", "15.00", "EUR"), cart("100.00", shipping="4.90"), None, "85.00", "85.00"),
    # 30.00 of the order paid with a gift card: a means of payment, the goods were still paid 100.00
    "gift card": (("gift_card", "50.00", "EUR"), cart("100.00", shipping="4.90"), "30.00", "100.00", "100.00"),
    # EU prices: 119.00 with VAT, 10 % off -> 107.10 with 17.10 VAT in it -> 90.00 paid for the goods
    "tax included": (("percent", "10", None), cart("119.00", shipping="4.90", tax="17.10", taxes_included=True),
                     None, "90.00", "90.00"),
    # US prices: tax on top is not part of the subtotal, so it never enters
    "tax on top": (("percent", "10", None), cart("100.00", shipping="5.00", tax="8.00"), None, "90.00", "90.00"),
    # the checkout says what it applied (this code plus its own promotion): that counts
    "cart discount": (("percent", "10", None), cart("100.00", discount="25.00"), None, "75.00", "75.00"),
    # yen have no decimals: 15 % of 1999 is 299.85 -> 300 off; the pixel keeps its 1000.00 format
    "JPY": (("percent", "15", None), cart("1999", "JPY", shipping="500"), None, "1699.00", "1699"),
    # three-decimal dinars: 10 % of 12.345 is 1.2345 -> 1.235 off (half up)
    "KWD": (("percent", "10", None), cart("12.345", "KWD"), None, "11.110", "11.110"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_brandbassador_pixel_total_is_the_paid_goods_total(demo_table, stub, case):
    (kind, value, currency), the_cart, amount, pixel_total, paid = CASES[case]
    add_code(demo_table, "PAID1", kind=kind, value=value, currency=currency or the_cart.currency
             if kind != "percent" else None, owner=ANNA)
    done = redemptions.redeem(demo_table, AUTH, "PAID1", "order-1", the_cart, Customer(),
                              Decimal(amount) if amount else None).redemption
    assert money.to_wire(done.paid_goods_total, the_cart.currency) == paid
    drain(local_delivery(demo_table, stub))
    [call] = stub.answered()
    assert (call["query"]["total"], call["query"]["currency"]) == (pixel_total, the_cart.currency)


def test_the_signed_webhook_carries_the_same_paid_goods_total(demo_table, stub):
    webhooks.put(demo_table, "sitevibes", f"{stub.url}/hooks/sales", "s3cret")
    add_code(demo_table, "SVTAX", value="10", owner=SITEVIBES)
    redemptions.redeem(demo_table, AUTH, "SVTAX", "order-1", CASES["tax included"][1], Customer())
    drain(local_delivery(demo_table, stub))
    [call] = stub.answered()
    sent = json.loads(call["body"])
    assert {k: sent[k] for k in ("paid_goods_total", "subtotal", "tax", "taxes_included", "discount", "shipping",
                                 "currency", "refunded_total", "refund")} == {
        "paid_goods_total": "90.00", "subtotal": "119.00", "tax": "17.10", "taxes_included": True,
        "discount": "11.90", "shipping": "4.90", "currency": "EUR", "refunded_total": "0.00", "refund": None}


def test_an_older_stored_redemption_reads_unchanged():
    """Items written before carts carried tax and discounts, and before refunds, still read."""
    from coupons.core.sales import Redemption

    old = Redemption.model_validate({
        "id": "ANNA10.x", "code": "ANNA10", "order_id": "1", "kind": "percent",
        "cart": {"subtotal": Decimal("100.00"), "shipping": Decimal("4.90"), "currency": "EUR"},
        "discount": Decimal("10.00"), "shipping_discount": Decimal(0), "gift_card_amount": Decimal(0),
        "owner": {"partner": "brandbassador", "account": "demo"}, "created_at": "2026-01-01T00:00:00+00:00"})
    assert (old.paid_goods_total, old.order_total, old.refunded) == (Decimal("90.00"), Decimal("94.90"), 0)


@pytest.mark.parametrize("cart_body, problem", [
    ({"subtotal": "1999.5", "currency": "JPY"}, "JPY has at most 0"),
    ({"subtotal": "10.00", "discount": "10.01", "currency": "EUR"}, "more than the subtotal"),
    ({"subtotal": "10.00", "tax": "20.00", "taxes_included": True, "currency": "EUR"}, "more than the order"),
    ('{"subtotal": 99.999999999999999, "currency": "EUR"}', "has 15 decimals"),  # a JSON number, not rounded
    ({"subtotal": "1E+8", "currency": "EUR"}, "not a number in the format 1000.00"),
])
def test_carts_that_do_not_add_up_are_a_400_naming_the_problem(handler, cart_body, problem):
    from tests.checkout.test_sales import post

    cart_text = cart_body if isinstance(cart_body, str) else json.dumps(cart_body)
    response = post(handler, "/checkout/validate", f'{{"code": "CHECKOUT10", "cart": {cart_text}}}')
    assert (response["statusCode"], body(response)["error"]["code"]) == (400, "invalid_request")
    assert problem in body(response)["error"]["message"]

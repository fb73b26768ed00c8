"""Checkout rules on a code record alone: what a code gives on a cart, and why not."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coupons.checkout.rules import CodeRefused, Reason, parse_redemption_id, quote, redemption_id
from coupons.core.errors import InvalidRequest, NotFound
from coupons.core.models import CodeRecord, Discount, DiscountKind, Owner
from coupons.core.sales import Cart

TODAY = date(2026, 6, 15)
CART = Cart(subtotal=Decimal("100.00"), shipping=Decimal("4.90"), currency="EUR")
OWNER = Owner(partner="sitevibes", account="r1", person="jane@example.com")


def code(kind="percent", value="20", currency=None, **kw) -> CodeRecord:
    return CodeRecord(code="SAVE", discount=Discount(kind=DiscountKind(kind), value=Decimal(value) if value else None,
                                                     currency=currency), owner=OWNER, **kw)


def reason_for(record, cart=CART, **kw) -> Reason:
    with pytest.raises(CodeRefused) as refused:
        quote(record, "SAVE", cart, TODAY, **kw)
    return refused.value.reason


def test_percent_applies_to_the_subtotal_not_shipping():
    given_ = quote(code(value="15"), "SAVE", CART, TODAY)
    assert (given_.discount, given_.shipping_discount, given_.gift_card_amount) == (Decimal("15.00"), 0, 0)


def test_percent_rounds_half_up_to_cents():
    cart = Cart(subtotal=Decimal("19.99"), currency="EUR")
    assert quote(code(value="12.5"), "SAVE", cart, TODAY).discount == Decimal("2.50")  # 2.49875


def test_fixed_is_capped_at_the_subtotal_and_needs_the_same_currency():
    cart = Cart(subtotal=Decimal("8.00"), shipping=Decimal("5.00"), currency="EUR")
    assert quote(code("fixed", "10", "EUR"), "SAVE", cart, TODAY).discount == Decimal("8.00")
    assert reason_for(code("fixed", "10", "USD"), cart) is Reason.CURRENCY_MISMATCH


def test_free_shipping_gives_the_shipping():
    assert quote(code("free_shipping", None), "SAVE", CART, TODAY).shipping_discount == Decimal("4.90")


def test_gift_card_pays_what_is_asked_or_as_much_of_the_order_as_it_holds():
    card = code("gift_card", "500", "EUR", balance=Decimal("60.00"))
    assert quote(card, "SAVE", CART, TODAY, amount=Decimal("25.00")).gift_card_amount == Decimal("25.00")
    assert quote(card, "SAVE", CART, TODAY).gift_card_amount == Decimal("60.00")
    big = Cart(subtotal=Decimal("10.00"), shipping=Decimal("2.00"), currency="EUR")
    assert quote(card, "SAVE", big, TODAY).gift_card_amount == Decimal("12.00")


@pytest.mark.parametrize("record, kw, reason", [
    (None, {}, Reason.UNKNOWN),
    (code(status="disabled"), {}, Reason.DISABLED),
    (code(starts_on=date(2026, 6, 16)), {}, Reason.NOT_STARTED),
    (code(expires_on=date(2026, 6, 14)), {}, Reason.EXPIRED),
    (code(max_uses=3, uses=3), {}, Reason.USED_UP),
    (code(max_uses_per_customer=1), {"customer_uses": 1}, Reason.CUSTOMER_LIMIT_REACHED),
    (code(max_uses_per_customer=1), {"customer_given": False}, Reason.CUSTOMER_REQUIRED),
    (code("gift_card", "50", "EUR", balance=Decimal("20.00")), {"amount": Decimal("20.01")},
     Reason.INSUFFICIENT_BALANCE),
    (code("gift_card", "50", "EUR", balance=Decimal("0.00")), {}, Reason.INSUFFICIENT_BALANCE),
    (code("gift_card", "50", "USD", balance=Decimal("50")), {}, Reason.CURRENCY_MISMATCH),
    (code(), {"amount": Decimal("5.00")}, Reason.NOT_A_GIFT_CARD),
])
def test_each_refusal_has_its_reason(record, kw, reason):
    assert reason_for(record, **kw) is reason


def test_last_valid_day_and_first_day_are_inclusive():
    assert quote(code(starts_on=TODAY, expires_on=TODAY), "SAVE", CART, TODAY).discount == Decimal("20.00")


def test_gift_card_amount_above_the_order_total_is_a_bad_request():
    card = code("gift_card", "500", "EUR", balance=Decimal("500"))
    with pytest.raises(InvalidRequest, match="more than the order total"):
        quote(card, "SAVE", CART, TODAY, amount=Decimal("104.91"))


def test_redemption_id_is_the_same_for_the_same_order_and_leads_back_to_the_code():
    rid = redemption_id("SAVE", "order-1")
    assert rid == redemption_id("SAVE", "order-1") != redemption_id("SAVE", "order-2")
    assert parse_redemption_id(rid)[0] == "SAVE"
    # Friendbuy's codes carry hyphens (FRIEND-OFFER-244432), so their redemptions' ids do too.
    assert parse_redemption_id(redemption_id("FRIEND-OFFER-1", "o"))[0] == "FRIEND-OFFER-1"


@pytest.mark.parametrize("bad", ["", "SAVE", "save.0123456789abcdef01234567", "SAVE.xyz",
                                 "SA_VE.0123456789abcdef01234567", "-SAVE.0123456789abcdef01234567"])
def test_malformed_redemption_ids_are_not_found(bad):
    with pytest.raises(NotFound):
        parse_redemption_id(bad)


AMOUNTS = st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False, allow_infinity=False)


@given(subtotal=AMOUNTS, shipping=AMOUNTS, percent=st.decimals(min_value="0.01", max_value=100, places=2),
       fixed=st.decimals(min_value="0.01", max_value=100_000, places=2))
def test_a_discount_never_exceeds_what_it_applies_to(subtotal, shipping, percent, fixed):
    cart = Cart(subtotal=subtotal, shipping=shipping, currency="EUR")
    for record in (code(value=str(percent)), code("fixed", str(fixed), "EUR")):
        given_ = quote(record, "SAVE", cart, TODAY)
        assert Decimal(0) <= given_.discount <= subtotal
        assert given_.discount == given_.discount.quantize(Decimal("0.01"))
        assert given_.shipping_discount == 0

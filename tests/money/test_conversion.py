"""Gift cards (and fixed codes) in another currency than the cart's, at the brand's rate: the card
is debited in its own currency, guarded there by the transaction's condition; refunds and
rollbacks give back exactly what was taken; a stale or missing rate is refused, never used; the
call budget of a warm redemption stays one transaction. Domain with moto; the race over HTTP is
in test_http_race.py."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest

from coupons.checkout import redemptions, wire
from coupons.checkout.rules import CodeRefused, Reason
from coupons.core import code_items, rate_items, rates
from coupons.core.models import utcnow
from coupons.core.sales import Cart, Customer
from coupons.core.table import Table
from tests.checkout.conftest import AUTH, add_code
from tests.conftest import CountingClient

USD_CART = Cart(subtotal=Decimal("100.00"), shipping=Decimal("4.90"), currency="USD")  # order total 104.90


def body(response):
    return response.body if isinstance(response.body, dict) else json.loads(response.body)


def set_rate(table, base="EUR", quote="USD", rate="1.0832", days_old=0):
    rate_items.put_all(table, [rates.new_rate(base, quote, rate, utcnow().date() - timedelta(days=days_old))])


def redeem(table, code, order, amount=None, cart=USD_CART):
    return redemptions.redeem(table, AUTH, code, order, cart, Customer(),
                              Decimal(amount) if amount else None).redemption


def balance(table, code):
    return code_items.get(table, code, consistent=True).balance


@pytest.fixture
def counted(demo_table):
    return Table(demo_table.name, CountingClient(demo_table.client))


def calls(table, action):
    table.client.calls.clear()
    result = action()
    return result, list(table.client.calls)


def test_a_eur_card_pays_a_usd_cart_and_is_debited_in_eur(demo_table):
    add_code(demo_table, "EURCARD", kind="gift_card", value="50.00", currency="EUR")
    set_rate(demo_table)
    spent = redeem(demo_table, "EURCARD", "US-1", amount="30.00")
    assert (spent.gift_card_amount, spent.cart.currency) == (Decimal("30.00"), "USD")
    debit = spent.gift_card_debit
    assert (debit.amount, debit.currency, debit.rate) == (Decimal("27.70"), "EUR", Decimal("1.0832"))  # 27.6957
    assert balance(demo_table, "EURCARD") == Decimal("22.30")
    answer = body(wire.redemption(spent, False, 201))
    assert answer["gift_card_amount"] == "30.00" and answer["currency"] == "USD"
    assert answer["gift_card_debit"] == {"amount": "27.70", "currency": "EUR", "rate": "1.0832",
                                         "rate_date": utcnow().date().isoformat()}
    stored = redemptions.items.from_item(demo_table.get_many(
        [redemptions.items.redemption_key("EURCARD", redemptions.order_digest("US-1"))])[0])
    assert stored.gift_card_debit == debit


def test_partial_refund_then_rollback_give_back_exactly_what_was_taken(demo_table):
    add_code(demo_table, "EURBACK", kind="gift_card", value="50.00", currency="EUR")
    set_rate(demo_table)
    spent = redeem(demo_table, "EURBACK", "US-2", amount="30.00")
    half = redemptions.refund(demo_table, AUTH, spent.id, "RMA-1", Decimal("52.45"))  # half of 104.90
    assert (half.refund.gift_card_amount, half.refund.gift_card_debit) == (Decimal("15.00"), Decimal("13.85"))
    assert balance(demo_table, "EURBACK") == Decimal("36.15")
    set_rate(demo_table, rate="1.2000")  # a new rate changes nothing of an earlier redemption
    redemptions.rollback(demo_table, AUTH, spent.id)
    assert balance(demo_table, "EURBACK") == Decimal("50.00")


def test_refunds_in_full_give_the_whole_debit_back(demo_table):
    add_code(demo_table, "EURFULL", kind="gift_card", value="50.00", currency="EUR")
    set_rate(demo_table)
    spent = redeem(demo_table, "EURFULL", "US-3", amount="33.33")
    for n, amount in enumerate(["10.00", "0.01", "94.89"]):
        redemptions.refund(demo_table, AUTH, spent.id, f"RMA-{n}", Decimal(amount))
    assert balance(demo_table, "EURFULL") == Decimal("50.00")


def test_a_card_paying_all_it_holds_never_goes_below_zero(demo_table):
    add_code(demo_table, "EURTEN", kind="gift_card", value="10.00", currency="EUR")
    set_rate(demo_table)
    spent = redeem(demo_table, "EURTEN", "US-4")  # no amount: as much of the order as the card covers
    assert (spent.gift_card_amount, spent.gift_card_debit.amount) == (Decimal("10.83"), Decimal("10.00"))
    assert balance(demo_table, "EURTEN") == Decimal("0.00")
    with pytest.raises(CodeRefused) as refused:
        redeem(demo_table, "EURTEN", "US-5", amount="0.01")
    assert refused.value.reason is Reason.INSUFFICIENT_BALANCE


def test_more_than_the_balance_converts_to_is_refused_and_nothing_is_taken(demo_table):
    add_code(demo_table, "EURSMALL", kind="gift_card", value="20.00", currency="EUR")
    set_rate(demo_table)
    with pytest.raises(CodeRefused) as refused:
        redeem(demo_table, "EURSMALL", "US-6", amount="21.67")  # 20.0055 EUR
    assert refused.value.reason is Reason.INSUFFICIENT_BALANCE
    assert redeem(demo_table, "EURSMALL", "US-7", amount="21.66").gift_card_debit.amount == Decimal("20.00")
    assert balance(demo_table, "EURSMALL") == Decimal("0.00")


@pytest.mark.parametrize(("days_old", "reason"), [(5, Reason.RATE_STALE), (None, Reason.CURRENCY_MISMATCH)])
def test_a_stale_or_missing_rate_is_refused_never_used(demo_table, days_old, reason):
    add_code(demo_table, "EUROLD", kind="gift_card", value="50.00", currency="EUR")
    if days_old is not None:
        set_rate(demo_table, days_old=days_old)
    with pytest.raises(CodeRefused) as refused:
        redeem(demo_table, "EUROLD", "US-8", amount="10.00")
    assert refused.value.reason is reason
    assert balance(demo_table, "EUROLD") == Decimal("50.00")


def test_the_brand_sets_how_old_a_rate_may_be(demo_table, monkeypatch):
    add_code(demo_table, "EURAGE", kind="gift_card", value="50.00", currency="EUR")
    set_rate(demo_table, days_old=5)
    monkeypatch.setenv("RATE_MAX_AGE_DAYS", "7")
    assert redeem(demo_table, "EURAGE", "US-9", amount="10.00").gift_card_debit.amount == Decimal("9.23")


def test_a_fixed_code_in_eur_converts_and_a_percent_code_needs_no_rate(demo_table):
    add_code(demo_table, "TENEUR", kind="fixed", value="10", currency="EUR")
    add_code(demo_table, "PCT", kind="percent", value="10")
    with pytest.raises(CodeRefused):
        redeem(demo_table, "TENEUR", "US-10")
    set_rate(demo_table)
    fixed = redeem(demo_table, "TENEUR", "US-11")
    assert (fixed.discount, fixed.discount_conversion.amount, fixed.discount_conversion.rate) == (
        Decimal("10.83"), Decimal("10"), Decimal("1.0832"))
    assert redeem(demo_table, "PCT", "US-12").discount == Decimal("10.00")


def test_a_cross_rate_through_eur(demo_table):
    add_code(demo_table, "GBPCARD", kind="gift_card", value="100.00", currency="GBP")
    set_rate(demo_table, "EUR", "USD", "1.0832")
    set_rate(demo_table, "EUR", "GBP", "0.8456")
    spent = redeem(demo_table, "GBPCARD", "US-13", amount="50.00")
    assert (spent.gift_card_debit.rate, spent.gift_card_debit.amount) == (Decimal("1.280983917"), Decimal("39.03"))


def test_call_counts_warm_foreign_spend_is_one_transaction_same_currency_untouched(counted):
    add_code(counted, "EURCOUNT", kind="gift_card", value="500.00", currency="EUR")
    add_code(counted, "EURSAME", kind="gift_card", value="500.00", currency="EUR")
    set_rate(counted)
    _, cold = calls(counted, lambda: redeem(counted, "EURCOUNT", "C-1", amount="10.00"))
    assert cold == ["batch_get_item", "batch_get_item", "transact_write_items"]  # code, then the rate
    _, warm = calls(counted, lambda: redeem(counted, "EURCOUNT", "C-2", amount="10.00"))
    assert warm == ["transact_write_items"]
    eur = Cart(subtotal=Decimal("100.00"), currency="EUR")
    _, same = calls(counted, lambda: redeem(counted, "EURSAME", "C-3", amount="10.00", cart=eur))
    _, same_warm = calls(counted, lambda: redeem(counted, "EURSAME", "C-4", amount="10.00", cart=eur))
    assert (same, same_warm) == (["batch_get_item", "transact_write_items"], ["transact_write_items"])


def test_a_rate_changed_behind_the_instance_is_caught_by_the_transaction(counted):
    add_code(counted, "EURMOVE", kind="gift_card", value="500.00", currency="EUR")
    set_rate(counted)
    redeem(counted, "EURMOVE", "M-1", amount="10.83")
    set_rate(counted, rate="1.2000")  # another process: this instance still remembers 1.0832
    spent, seen = calls(counted, lambda: redeem(counted, "EURMOVE", "M-2", amount="12.00"))
    assert seen == ["transact_write_items", "batch_get_item", "transact_write_items"]
    assert (spent.gift_card_debit.rate, spent.gift_card_debit.amount) == (Decimal("1.2000"), Decimal("10.00"))
    assert balance(counted, "EURMOVE") == Decimal("480.00")


def test_validate_answers_what_the_card_can_pay_and_the_debit(demo_table):
    add_code(demo_table, "EURQUOTE", kind="gift_card", value="50.00", currency="EUR")
    set_rate(demo_table)
    quote = redemptions.validate(demo_table, AUTH, "EURQUOTE", USD_CART, Customer())
    answer = body(wire.quoted(quote, USD_CART))
    assert (answer["balance"], answer["gift_card_amount"], answer["to_pay"]) == ("54.16", "54.16", "50.74")
    assert answer["gift_card_debit"]["amount"] == "50.00" and answer["gift_card_debit"]["currency"] == "EUR"

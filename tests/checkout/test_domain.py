"""Validate, redeem, roll back and gift cards through the domain and the DynamoDB store (moto)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from coupons.checkout import redemptions
from coupons.checkout.rules import CodeRefused, Reason, redemption_id
from coupons.checkout.wire import checkout_key
from coupons.core import code_items, outbox
from coupons.core.errors import NotFound, Unauthenticated
from coupons.core.models import Owner, utcnow
from coupons.core.sales import Cart, Customer, Redemption, RedemptionState
from coupons_admin.checkout import add_key, report, revoke_key
from tests.checkout.conftest import AUTH, add_code

CART = Cart(subtotal=Decimal("100.00"), shipping=Decimal("4.90"), currency="EUR")
NOBODY = Customer()


def redeem(table, code, order="o-1", cart=CART, customer=NOBODY, amount=None, ref=None):
    return redemptions.redeem(table, AUTH, code, order, cart, customer, Decimal(amount) if amount else None, ref)


def items(table, prefix):
    return [i for i in table.client.scan(TableName=table.name)["Items"] if i["pk"]["S"].startswith(prefix)]


def reason(call, *args, **kwargs) -> Reason:
    with pytest.raises(CodeRefused) as refused:
        call(*args, **kwargs)
    return refused.value.reason


def test_validate_is_case_insensitive_and_writes_nothing(demo_table):
    add_code(demo_table, "SUMMER20", value="20")
    before = demo_table.client.scan(TableName=demo_table.name)["Items"]
    quote = redemptions.validate(demo_table, AUTH, "summer20", CART, NOBODY)
    assert (quote.code, quote.discount) == ("SUMMER20", Decimal("20.00"))
    assert demo_table.client.scan(TableName=demo_table.name)["Items"] == before


@pytest.mark.parametrize("authorization", [None, "", "demo-key", "Basic demo-key", "Bearer wrong", "Bearer "])
def test_without_the_checkout_key_nothing_is_answered(demo_table, authorization):
    add_code(demo_table, "SUMMER20")
    with pytest.raises(Unauthenticated):
        redemptions.validate(demo_table, checkout_key(authorization), "SUMMER20", CART, NOBODY)
    with pytest.raises(Unauthenticated):
        redemptions.redeem(demo_table, checkout_key(authorization), "SUMMER20", "o-1", CART, NOBODY)
    assert code_items.get(demo_table, "SUMMER20").uses == 0


def test_a_revoked_key_stops_working_and_a_new_one_works(demo_table):
    add_code(demo_table, "SUMMER20")
    add_key(demo_table, "pos", "pos-key-123")
    assert redemptions.validate(demo_table, "pos-key-123", "SUMMER20", CART, NOBODY)
    revoke_key(demo_table, "pos")
    with pytest.raises(Unauthenticated):
        redemptions.validate(demo_table, "pos-key-123", "SUMMER20", CART, NOBODY)


def test_redemption_records_the_owner_and_queues_a_sale_event(demo_table):
    owner = Owner(partner="affonso", account="prog-1", person="aff-9")
    add_code(demo_table, "AFF10", owner=owner, max_uses=5)
    done = redeem(demo_table, "aff10", order="A-100", ref="bb-7")
    assert not done.replayed
    assert (done.redemption.owner, done.redemption.discount, done.redemption.ref) == (owner, Decimal("10.00"), "bb-7")
    assert code_items.get(demo_table, "AFF10").uses == 1
    [event] = outbox.in_state(demo_table, outbox.PENDING)
    assert (event["pk"], event["partner"], event["redemption"]["order_id"]) == (
        f"OUTBOX#{done.redemption.id}#sale", "affonso", "A-100")


def test_same_order_and_code_twice_is_one_redemption(demo_table):
    add_code(demo_table, "ONCE", max_uses=1)
    first = redeem(demo_table, "ONCE", order="A-1")
    again = redeem(demo_table, "once", order="A-1", cart=Cart(subtotal=Decimal(5), currency="EUR"))
    assert (again.replayed, again.redemption) == (True, first.redemption)
    assert code_items.get(demo_table, "ONCE").uses == 1
    assert len(items(demo_table, "OUTBOX#")) == 1


def test_single_use_code_refuses_a_second_order(demo_table):
    add_code(demo_table, "ONCE", max_uses=1)
    redeem(demo_table, "ONCE", order="A-1")
    assert reason(redeem, demo_table, "ONCE", order="A-2") is Reason.USED_UP
    assert reason(redemptions.validate, demo_table, AUTH, "ONCE", CART, NOBODY) is Reason.USED_UP


def test_a_refused_redemption_writes_nothing(demo_table):
    add_code(demo_table, "OLD", expires_on=date(2020, 1, 1))
    before = demo_table.client.scan(TableName=demo_table.name)["Items"]
    assert reason(redeem, demo_table, "OLD") is Reason.EXPIRED
    assert reason(redeem, demo_table, "NOPE") is Reason.UNKNOWN
    assert demo_table.client.scan(TableName=demo_table.name)["Items"] == before


def test_the_transaction_condition_refuses_what_the_read_did_not_see(demo_table, monkeypatch):
    """Another order takes the last use between this request's read and its write."""
    add_code(demo_table, "LAST", max_uses=1)
    real_read = redemptions._read

    def read_then_lose_the_race(*args, **kwargs):
        found = real_read(*args, **kwargs)
        redemptions.items.redeem(demo_table, redeem_plan_of_rival(demo_table), found[0], None)
        return found

    def redeem_plan_of_rival(table):
        return Redemption(id=redemption_id("LAST", "rival"), code="LAST", order_id="rival", kind="percent", cart=CART,
                          discount=Decimal(10), shipping_discount=Decimal(0), gift_card_amount=Decimal(0),
                          owner=Owner(partner="brandbassador", account="demo"), created_at=utcnow())

    monkeypatch.setattr(redemptions, "_read", read_then_lose_the_race)
    assert reason(redeem, demo_table, "LAST", order="mine") is Reason.USED_UP
    assert code_items.get(demo_table, "LAST").uses == 1
    assert len(items(demo_table, "OUTBOX#")) == 1  # the rival's sale only


def test_a_retry_whose_first_try_commits_between_the_reads_is_a_replay(demo_table, monkeypatch):
    """The batch read saw the code used up but not yet this order's redemption."""
    add_code(demo_table, "TORN", max_uses=1)
    first = redeem(demo_table, "TORN", order="A-1")
    real_read = redemptions._read
    monkeypatch.setattr(redemptions, "_read", lambda *a, **k: (*real_read(*a, **k)[:1], None, 0))
    again = redeem(demo_table, "TORN", order="A-1")
    assert (again.replayed, again.redemption.id) == (True, first.redemption.id)
    assert reason(redeem, demo_table, "TORN", order="A-2") is Reason.USED_UP


def test_gift_card_spends_down_and_never_overdraws(demo_table):
    add_code(demo_table, "CARD50", kind="gift_card", value="50.00")
    assert redeem(demo_table, "CARD50", order="1", amount="30.00").redemption.gift_card_amount == Decimal("30.00")
    assert reason(redeem, demo_table, "CARD50", order="2", amount="20.01") is Reason.INSUFFICIENT_BALANCE
    # without an amount the card pays what it holds, up to the order total
    assert redeem(demo_table, "CARD50", order="3").redemption.gift_card_amount == Decimal("20.00")
    card = redemptions.gift_card(demo_table, AUTH, "card50")
    assert card.record.balance == 0
    assert [(r.order_id, r.gift_card_amount) for r in card.history] == [
        ("1", Decimal("30.00")), ("3", Decimal("20.00"))]
    assert reason(redeem, demo_table, "CARD50", order="4") is Reason.INSUFFICIENT_BALANCE


def test_gift_card_in_another_currency_is_refused(demo_table):
    add_code(demo_table, "CARDUSD", kind="gift_card", value="50.00", currency="USD")
    assert reason(redeem, demo_table, "CARDUSD", amount="5.00") is Reason.CURRENCY_MISMATCH


def test_rollback_gives_the_use_and_the_amount_back_once(demo_table):
    add_code(demo_table, "CARD50", kind="gift_card", value="50.00", max_uses=1)
    done = redeem(demo_table, "CARD50", order="1", amount="30.00")
    first = redemptions.rollback(demo_table, AUTH, done.redemption.id)
    second = redemptions.rollback(demo_table, AUTH, done.redemption.id)
    assert (first.replayed, second.replayed) == (False, True)
    assert second.redemption.state is RedemptionState.ROLLED_BACK
    stored = code_items.get(demo_table, "CARD50")
    assert (stored.balance, stored.uses) == (Decimal("50.00"), 0)
    assert sorted(i["pk"]["S"].rsplit("#", 1)[1] for i in items(demo_table, "OUTBOX#")) == ["rollback", "sale"]
    # the single use is free again for another order
    assert redeem(demo_table, "CARD50", order="2", amount="50.00").replayed is False


def test_rollback_of_an_unknown_redemption_is_not_found(demo_table):
    add_code(demo_table, "SUMMER20")
    with pytest.raises(NotFound):
        redemptions.rollback(demo_table, AUTH, "SUMMER20.0123456789abcdef01234567")


def test_per_customer_limit_counts_by_id_or_email(demo_table):
    add_code(demo_table, "ONEEACH", per_customer=1)
    jane = Customer(email="Jane@Example.com")
    redeem(demo_table, "ONEEACH", order="1", customer=jane)
    assert reason(redeem, demo_table, "ONEEACH", order="2", customer=Customer(email="jane@example.com ")) \
        is Reason.CUSTOMER_LIMIT_REACHED
    assert reason(redemptions.validate, demo_table, AUTH, "ONEEACH", CART, jane) is Reason.CUSTOMER_LIMIT_REACHED
    assert reason(redeem, demo_table, "ONEEACH", order="3") is Reason.CUSTOMER_REQUIRED
    assert not redeem(demo_table, "ONEEACH", order="4", customer=Customer(id="c-2")).replayed
    # a rollback gives the customer's use back too
    redemptions.rollback(demo_table, AUTH, redeem(demo_table, "ONEEACH", order="1", customer=jane).redemption.id)
    assert not redeem(demo_table, "ONEEACH", order="5", customer=jane).replayed


def test_gift_card_route_refuses_other_codes(demo_table):
    add_code(demo_table, "SUMMER20")
    assert reason(redemptions.gift_card, demo_table, AUTH, "SUMMER20") is Reason.NOT_A_GIFT_CARD
    assert reason(redemptions.gift_card, demo_table, AUTH, "NOPE") is Reason.UNKNOWN


def test_report_sums_revenue_per_partner_and_person(demo_table):
    add_code(demo_table, "ANNA10", owner=Owner(partner="brandbassador", account="demo", person="anna"))
    add_code(demo_table, "BOB10", owner=Owner(partner="brandbassador", account="demo", person="bob"))
    redeem(demo_table, "ANNA10", order="1")
    redeem(demo_table, "ANNA10", order="2", cart=Cart(subtotal=Decimal("50.50"), shipping=Decimal(9), currency="EUR"))
    gone = redeem(demo_table, "BOB10", order="3")
    redemptions.rollback(demo_table, AUTH, gone.redemption.id)
    today = utcnow().date()
    rows = {r["person"]: r for r in report(demo_table, today - timedelta(days=1), today)}
    # revenue is what partners are told: paid goods totals, 90.00 + 45.45 (10 % off 100.00 and 50.50)
    assert (rows["anna"]["redemptions"], rows["anna"]["revenue"], rows["anna"]["discounts"]) == (2, "135.45", "15.05")
    assert (rows["bob"]["redemptions"], rows["bob"]["rolled_back"], rows["bob"]["revenue"]) == (0, 1, "0.00")

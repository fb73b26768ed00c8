"""A redemption is ONE DynamoDB call on a warm instance (issue 14), and memory never decides money.

The calls are counted on the client the Table uses. What an instance remembers (the checkout key it
verified, the codes it saw: ``coupons.checkout.remembered``) is changed behind its back here with
plain DynamoDB updates, as another instance or the admin CLI would: every answer must follow the
table, never the memory.
"""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest

from coupons.checkout import redemptions
from coupons.checkout.rules import CodeRefused, Reason
from coupons.core import code_items
from coupons.core.errors import Unauthenticated
from coupons.core.models import Owner, utcnow
from coupons.core.sales import Cart, Customer
from coupons.core.table import ConditionsFailed, Table
from coupons_admin.checkout import add_key, revoke_key
from localrun.demo.checkout import add_sample_codes
from tests.checkout.conftest import AUTH, add_code
from tests.conftest import CountingClient, body, load_event

CART = Cart(subtotal=Decimal("100.00"), shipping=Decimal("4.90"), currency="EUR")
NOBODY = Customer()


@pytest.fixture
def counted(demo_table):
    """The demo table through a client that counts calls (the same table name: the same memory)."""
    return Table(demo_table.name, CountingClient(demo_table.client))


def redeem(table, code, order, cart=CART, customer=NOBODY, amount=None, key=AUTH):
    return redemptions.redeem(table, key, code, order, cart, customer, Decimal(amount) if amount else None)


def calls_of(table, action):
    table.client.calls.clear()
    try:
        return action(), table.client.calls
    except CodeRefused as refused:
        return refused.reason, table.client.calls


def scan(table):
    return sorted(json.dumps(i, sort_keys=True) for i in table.client.scan(TableName=table.name)["Items"])


def set_code(table, code, attribute, value):
    """Change one attribute of a code item, as another instance or the admin CLI would."""
    table.client.update_item(TableName=table.name, Key=table.serialize(code_items.key(code)),
                             UpdateExpression="SET #a = :v", ExpressionAttributeNames={"#a": attribute},
                             ExpressionAttributeValues=table.values({":v": value}))


# ---- the happy path and the refusals: one call ---------------------------------------------------


def test_a_redemption_on_a_warm_instance_is_one_transaction(counted):
    add_code(counted, "SUMMER20", value="20")
    cold, calls = calls_of(counted, lambda: redeem(counted, "SUMMER20", "1"))
    assert calls == ["batch_get_item", "transact_write_items"]  # first sight of the key and the code
    warm, calls = calls_of(counted, lambda: redeem(counted, "summer20", "2"))
    assert calls == ["transact_write_items"]
    assert (warm.replayed, warm.redemption.discount, warm.redemption.owner) == (
        False, Decimal("20.00"), cold.redemption.owner)
    assert code_items.get(counted, "SUMMER20").uses == 2


def test_validate_lets_the_redemption_that_follows_be_one_call(counted):
    add_code(counted, "CARD50", kind="gift_card", value="50.00")
    redemptions.validate(counted, AUTH, "CARD50", CART, NOBODY)
    done, calls = calls_of(counted, lambda: redeem(counted, "CARD50", "1", amount="20.00"))
    assert (calls, done.redemption.gift_card_amount) == (["transact_write_items"], Decimal("20.00"))


def test_a_replay_is_the_first_answer_in_one_call(counted):
    add_code(counted, "ONCE", max_uses=1)
    first = redeem(counted, "ONCE", "A-1")
    again, calls = calls_of(counted, lambda: redeem(counted, "once", "A-1", cart=Cart(subtotal=Decimal(5), currency="EUR")))
    # the code is used up (by this very order) and the cart differs: the redemption's condition answers
    assert (again.replayed, again.redemption, calls) == (True, first.redemption, ["transact_write_items"])


def test_a_replay_from_another_instance_is_answered_by_the_transaction(counted, demo_table):
    add_code(counted, "MANY")
    first = redeem(counted, "MANY", "A-1")
    set_code(demo_table, "MANY", "uses", 7)  # others redeemed meanwhile
    again, calls = calls_of(counted, lambda: redeem(counted, "MANY", "A-1"))
    assert (again.replayed, again.redemption, calls) == (True, first.redemption, ["transact_write_items"])
    assert code_items.get(counted, "MANY").uses == 7


def test_a_rolled_back_order_is_409_and_not_redeemed_again(counted):
    add_code(counted, "MANY")
    done = redeem(counted, "MANY", "A-1")
    redemptions.rollback(counted, AUTH, done.redemption.id)
    refused, calls = calls_of(counted, lambda: redeem(counted, "MANY", "A-1"))
    assert (refused, calls) == (Reason.ROLLED_BACK, ["transact_write_items"])
    assert code_items.get(counted, "MANY").uses == 0


def test_used_up_is_refused_by_the_condition_in_one_call_and_writes_nothing(counted, demo_table):
    add_code(counted, "TWICE", max_uses=2)
    redeem(counted, "TWICE", "1")
    set_code(demo_table, "TWICE", "uses", 2)  # another instance took the last use
    before = scan(counted)
    refused, calls = calls_of(counted, lambda: redeem(counted, "TWICE", "2"))
    assert (refused, calls) == (Reason.USED_UP, ["transact_write_items"])
    assert scan(counted) == before


def test_a_gift_card_never_overdraws_and_says_what_is_left(counted, demo_table):
    add_code(counted, "CARD50", kind="gift_card", value="50.00")
    redeem(counted, "CARD50", "1", amount="10.00")
    set_code(demo_table, "CARD50", "balance", Decimal("15.00"))  # spent elsewhere
    with pytest.raises(CodeRefused) as refused:
        redeem(counted, "CARD50", "2", amount="20.00")
    assert (refused.value.reason, refused.value.message) == (
        Reason.INSUFFICIENT_BALANCE, "The gift card CARD50 has 15.00 EUR left, less than 20.00")
    assert code_items.get(counted, "CARD50").balance == Decimal("15.00")


def test_the_customer_limit_is_a_condition_and_its_counter_explains_the_refusal(counted):
    add_code(counted, "ONEEACH", per_customer=1)
    jane = Customer(email="jane@example.com")
    redeem(counted, "ONEEACH", "1", customer=jane)
    with pytest.raises(CodeRefused) as refused:
        redeem(counted, "ONEEACH", "2", customer=Customer(email="JANE@example.com"))
    assert (refused.value.reason, refused.value.message) == (
        Reason.CUSTOMER_LIMIT_REACHED, "This customer has used the code ONEEACH 1 times, the most allowed")
    assert counted.client.calls[-1:] == ["transact_write_items"]


# ---- memory never decides money ------------------------------------------------------------------


def test_a_value_changed_behind_the_instance_is_charged_as_the_table_holds_it(counted, demo_table):
    add_code(counted, "PCT", value="10")
    redeem(counted, "PCT", "1")
    set_code(demo_table, "PCT", "value", Decimal(25))
    done, calls = calls_of(counted, lambda: redeem(counted, "PCT", "2"))
    assert done.redemption.discount == Decimal("25.00")  # never the remembered 10 %
    assert calls == ["transact_write_items", "transact_write_items"]  # refused by the pin, computed again


def test_a_bank_code_assigned_since_is_attributed_to_its_new_holder(counted, demo_table):
    add_code(counted, "FREECODE", owner=Owner(partner="friendbuy", account="53345"))
    redeem(counted, "FREECODE", "1")
    set_code(demo_table, "FREECODE", "person", "advocate-9")
    done = redeem(counted, "FREECODE", "2")
    assert done.redemption.owner == Owner(partner="friendbuy", account="53345", person="advocate-9")


def test_a_code_disabled_or_expired_since_is_refused(counted, demo_table):
    add_code(counted, "SOON")
    add_code(counted, "OFF")
    redeem(counted, "SOON", "1")
    redeem(counted, "OFF", "1")
    set_code(demo_table, "SOON", "expires_on", (utcnow().date() - timedelta(days=1)).isoformat())
    set_code(demo_table, "OFF", "status", "disabled")
    assert calls_of(counted, lambda: redeem(counted, "SOON", "2")) == (Reason.EXPIRED, ["transact_write_items"])
    assert calls_of(counted, lambda: redeem(counted, "OFF", "2")) == (Reason.DISABLED, ["transact_write_items"])
    # now remembered as they are: refused from the read, as before the memory
    assert calls_of(counted, lambda: redeem(counted, "SOON", "3")) == (Reason.EXPIRED, ["batch_get_item"])


def test_a_per_customer_limit_added_since_is_enforced(counted, demo_table):
    add_code(counted, "LATER")
    redeem(counted, "LATER", "1")
    set_code(demo_table, "LATER", "max_uses_per_customer", 1)
    assert calls_of(counted, lambda: redeem(counted, "LATER", "2"))[0] is Reason.CUSTOMER_REQUIRED
    jane = Customer(id="c-1")
    assert redeem(counted, "LATER", "3", customer=jane).redemption.customer_key == jane.key
    assert calls_of(counted, lambda: redeem(counted, "LATER", "4", customer=jane))[0] is Reason.CUSTOMER_LIMIT_REACHED


@pytest.mark.parametrize(("now_holds", "takes"), [("80.00", "80.00"), ("5.00", "5.00"), ("500.00", "104.90")])
def test_a_card_paying_all_it_holds_pays_what_the_table_holds(counted, demo_table, now_holds, takes):
    """Without an amount a card pays as much of the order as its balance covers: that balance is
    held by the condition, so a remembered balance (50.00 here) never sets the amount."""
    add_code(counted, "CARD", kind="gift_card", value="100.00")
    redeem(counted, "CARD", "1", amount="50.00")
    set_code(demo_table, "CARD", "balance", Decimal(now_holds))  # refunds, other spends
    done = redeem(counted, "CARD", "2")
    assert done.redemption.gift_card_amount == Decimal(takes)
    assert code_items.get(counted, "CARD").balance == Decimal(now_holds) - Decimal(takes)


def test_a_revoked_key_writes_nothing_from_the_moment_it_is_revoked(counted):
    add_code(counted, "SUMMER20")
    add_key(counted, "pos", "pos-key-123")
    redeem(counted, "SUMMER20", "1", key="pos-key-123")
    revoke_key(counted, "pos")  # another process: this instance still remembers the key
    before = scan(counted)
    with pytest.raises(Unauthenticated):
        redeem(counted, "SUMMER20", "2", key="pos-key-123")
    assert counted.client.calls[-2:] == ["transact_write_items", "batch_get_item"]
    assert scan(counted) == before


def test_a_key_stored_anew_keeps_working(counted, demo_table):
    add_code(counted, "SUMMER20")
    add_key(counted, "pos", "pos-key-123")
    redeem(counted, "SUMMER20", "1", key="pos-key-123")
    revoke_key(counted, "pos")
    add_key(counted, "pos", "pos-key-123")  # the same key again: a new salt, a new hash
    assert not redeem(counted, "SUMMER20", "2", key="pos-key-123").replayed


def test_an_unknown_code_or_a_wrong_key_is_one_read(counted):
    assert calls_of(counted, lambda: redeem(counted, "NOPE", "1")) == (Reason.UNKNOWN, ["batch_get_item"])
    with pytest.raises(Unauthenticated):
        redeem(counted, "NOPE", "1", key="wrong")


def test_the_same_order_being_written_by_its_own_retry_is_waited_for(counted, monkeypatch):
    """A transaction that finds the order's redemption in another transaction (its own retry in
    flight) asks again instead of explaining a refusal the other write may cause."""
    add_code(counted, "ONCE", max_uses=1)
    redemptions.validate(counted, AUTH, "ONCE", CART, NOBODY)
    first = redeem(counted, "ONCE", "A-1")
    real, seen = counted.transact, []

    def in_flight_once(parts):
        if not seen:  # the code's condition judged, the redemption's not: another transaction holds it
            seen.append(1)
            raise ConditionsFailed({"code": None}, frozenset({"redemption"}))
        return real(parts)

    monkeypatch.setattr(counted, "transact", in_flight_once)
    again = redeem(counted, "ONCE", "A-1")
    assert (again.replayed, again.redemption) == (True, first.redemption)


# ---- through the handler -------------------------------------------------------------------------


def test_the_handler_redeems_a_sample_in_one_call_once_warm(handler, demo_table):
    add_sample_codes(demo_table)
    invoke = handler("CheckoutFunction")
    validate = load_event("checkout", "validate-percent")
    assert invoke(validate)["statusCode"] == 200  # the shop validates the code as it is typed in
    counting = CountingClient(demo_table.client)
    demo_table.client = counting
    try:
        response = invoke(load_event("checkout", "redeem-percent"))
    finally:
        demo_table.client = counting._client
    assert (response["statusCode"], body(response)["discount"], counting.calls) == (
        201, "10.00", ["transact_write_items"])


def test_a_date_window_is_judged_on_the_day_of_the_write(counted, demo_table):
    add_code(counted, "LATE", starts_on=date(2020, 1, 1))
    redeem(counted, "LATE", "1")
    set_code(demo_table, "LATE", "starts_on", (utcnow().date() + timedelta(days=3)).isoformat())
    assert calls_of(counted, lambda: redeem(counted, "LATE", "2"))[0] is Reason.NOT_STARTED

"""Partial refunds: never more than the order total across refunds, a gift card's share back on its
balance, safe retries by refund id, partners that take webhooks told (sale.refunded), the full
rollback still there. Domain with moto; the race is in test_http.py against DynamoDB Local."""

import json
from decimal import Decimal

import pytest

from coupons.checkout import redemptions
from coupons.checkout.rules import CodeRefused, Reason
from coupons.core import code_items, outbox
from coupons.core.errors import InvalidRequest, NotFound, Unauthenticated
from coupons.core.models import Owner
from coupons.core.sales import Cart, Customer, RedemptionState
from coupons.sales import webhook_items as webhooks
from tests.checkout.conftest import AUTH, add_code, drain, local_delivery

# goods 100.00, shipping 4.90: the order total is 104.90
CART = Cart(subtotal=Decimal("100.00"), shipping=Decimal("4.90"), currency="EUR")
SITEVIBES = Owner(partner="sitevibes", account="demo", person="jane@example.com")


def spend(table, code="CARD100", amount="40.00", order="R-1"):
    return redemptions.redeem(table, AUTH, code, order, CART, Customer(),
                              Decimal(amount) if amount else None).redemption


def refund(table, redemption_id, amount, refund_id="RMA-1", key=AUTH):
    return redemptions.refund(table, key, redemption_id, refund_id, Decimal(amount))


def reason(call, *args, **kwargs) -> Reason:
    with pytest.raises(CodeRefused) as refused:
        call(*args, **kwargs)
    return refused.value.reason


def test_refunds_add_up_to_at_most_the_order_total(demo_table):
    add_code(demo_table, "TEN", value="10")
    r = spend(demo_table, "TEN", amount=None)  # 10 % off: the order total is 90.00 + 4.90 = 94.90
    assert refund(demo_table, r.id, "50.00", "a").redemption.refunded == Decimal("50.00")
    assert reason(refund, demo_table, r.id, "44.91", "b") is Reason.REFUND_EXCEEDS_PAID
    last = refund(demo_table, r.id, "44.90", "c")
    assert (last.redemption.refunded, last.redemption.order_total) == (Decimal("94.90"), Decimal("94.90"))
    assert reason(refund, demo_table, r.id, "0.01", "d") is Reason.REFUND_EXCEEDS_PAID
    # the goods' shares add up to the paid goods total: partners lose exactly what they were told
    events = [e for e in outbox.in_state(demo_table, outbox.PENDING) if e["event"] == "refund"]
    assert sum(Decimal(str(e["refund"]["goods_amount"])) for e in events) == Decimal("90.00")


def test_a_gift_card_gets_its_share_of_each_refund_back(demo_table):
    add_code(demo_table, "CARD100", kind="gift_card", value="100.00")
    r = spend(demo_table, amount="40.00")  # 40.00 of 104.90 paid with the card, 64.90 otherwise
    first = refund(demo_table, r.id, "52.45", "a")  # half the order: half of 40.00 back on the card
    assert (first.refund.gift_card_amount, first.refund.goods_amount) == (Decimal("20.00"), Decimal("50.00"))
    assert code_items.get(demo_table, "CARD100").balance == Decimal("80.00")
    odd = refund(demo_table, r.id, "10.00", "b")  # 40.00 x 62.45 / 104.90 = 23.813... -> 23.81 in all
    assert odd.refund.gift_card_amount == Decimal("3.81")
    rest = refund(demo_table, r.id, "42.45", "c")  # the rest: the pieces add up to exactly 40.00
    assert rest.redemption.gift_card_refunded == Decimal("40.00")
    assert code_items.get(demo_table, "CARD100").balance == Decimal("100.00")


def test_the_same_refund_id_is_the_same_refund(demo_table):
    add_code(demo_table, "CARD100", kind="gift_card", value="100.00")
    r = spend(demo_table)
    first, again = refund(demo_table, r.id, "10.00"), refund(demo_table, r.id, "10.00")
    assert (first.replayed, again.replayed, again.refund) == (False, True, first.refund)
    assert again.redemption.refunded == Decimal("10.00")
    assert reason(refund, demo_table, r.id, "11.00") is Reason.ORDER_CONFLICT
    assert len([e for e in outbox.in_state(demo_table, outbox.PENDING) if e["event"] == "refund"]) == 1


def test_rollback_after_a_partial_refund_gives_back_only_the_rest(demo_table):
    add_code(demo_table, "CARD100", kind="gift_card", value="100.00", max_uses=1)
    r = spend(demo_table)
    refund(demo_table, r.id, "52.45")  # 20.00 back on the card
    rolled = redemptions.rollback(demo_table, AUTH, r.id)
    assert rolled.redemption.state is RedemptionState.ROLLED_BACK
    stored = code_items.get(demo_table, "CARD100")
    assert (stored.balance, stored.uses) == (Decimal("100.00"), 0)  # never 120.00
    assert reason(refund, demo_table, r.id, "1.00", "late") is Reason.ROLLED_BACK


def test_refund_amounts_follow_the_currency_and_unknown_ids_are_not_found(demo_table):
    add_code(demo_table, "YEN", value="10")
    r = redemptions.redeem(demo_table, AUTH, "YEN", "J-1", Cart(subtotal=Decimal(1000), currency="JPY"),
                           Customer()).redemption
    with pytest.raises(InvalidRequest, match="JPY"):
        refund(demo_table, r.id, "10.50")
    assert refund(demo_table, r.id, "300").refund.goods_amount == Decimal(300)
    with pytest.raises(NotFound):
        refund(demo_table, "YEN.0123456789abcdef01234567", "1")
    with pytest.raises(Unauthenticated):  # the key before anything about the redemption
        refund(demo_table, "YEN.0123456789abcdef01234567", "1", key="wrong")


def test_refunds_reach_webhook_partners_and_brandbassador_skips_them(demo_table, stub):
    webhooks.put(demo_table, "sitevibes", f"{stub.url}/hooks/sales", "s3cret")
    add_code(demo_table, "SV10", value="10", owner=SITEVIBES)
    add_code(demo_table, "BB10", value="10")
    sv, bb = spend(demo_table, "SV10", amount=None), spend(demo_table, "BB10", amount=None, order="R-2")
    refund(demo_table, sv.id, "47.45")  # half of 94.90
    refund(demo_table, bb.id, "47.45")
    drain(local_delivery(demo_table, stub))
    hooks = {c["headers"]["x-coupons-event"]: json.loads(c["body"]) for c in stub.answered()
             if c["path"] == "/hooks/sales"}
    assert hooks["sale.refunded"]["refund"] == {
        "refund_id": "RMA-1", "amount": "47.45", "gift_card_amount": "0.00", "goods_amount": "45.00",
        "refunded_at": hooks["sale.refunded"]["refund"]["refunded_at"]}
    assert (hooks["sale.refunded"]["paid_goods_total"], hooks["sale.refunded"]["refunded_total"]) == ("90.00", "47.45")
    pixels = [c for c in stub.answered() if c["path"] == "/tracking/pixel.gif"]
    assert [c["query"]["order_id"] for c in pixels] == ["R-2"]  # the sale only
    skipped = [e for e in outbox.in_state(demo_table, outbox.SKIPPED) if e["event"] == "refund"]
    assert [e["partner"] for e in skipped] == ["brandbassador"]

"""A paused coupon (the leak guard) can be replaced by the affiliate with a new code, atomically:
the new code is created under its own condition, the claim moves only from the paused code, and the
old code stays paused and the affiliate's, with its past sales (docs/guard.md, docs/affonso.md)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from coupons.affonso import affiliates
from coupons.affonso.affiliates import AlreadyHasCoupon
from coupons.checkout import redemptions
from coupons.core import code_items
from coupons.core.errors import CodeTaken
from coupons.core.models import utcnow
from coupons.core.sales import Cart, Customer
from coupons.guard import pausing
from localrun.demo.checkout import KEY as CHECKOUT_KEY
from tests.affonso.conftest import issue
from tests.conftest import body, load_event

CART = Cart(subtotal=Decimal("50.00"), currency="EUR")


def test_a_paused_coupon_is_replaced_and_the_old_one_keeps_its_sales_and_its_pause(demo_table):
    ann = affiliates.open_session(demo_table, issue(demo_table, "ann@example.com"))
    affiliates.create_coupon(demo_table, ann, "ANN20")
    redemptions.redeem(demo_table, CHECKOUT_KEY, "ANN20", "o-1", CART, Customer(id="c1"))
    before = code_items.get(demo_table, "ANN20")
    with pytest.raises(AlreadyHasCoupon):  # not paused: no new code
        affiliates.create_coupon(demo_table, affiliates.open_session(demo_table, issue(demo_table, "ann@example.com")),
                                 "ANN30")
    assert code_items.get(demo_table, "ANN30") is None
    pausing.pause(demo_table, "ANN20", "guard:no_ref", utcnow())
    token = issue(demo_table, "ann@example.com")
    shown = affiliates.open_dashboard(demo_table, token)
    assert shown.paused_at is not None and shown.earnings.stats.sales == 1
    replaced = affiliates.create_coupon(demo_table, affiliates.open_session(demo_table, token), "ann-30")
    assert (replaced.coupon.code, replaced.coupon.previous_codes, replaced.replayed) == ("ANN30", ("ANN20",), False)
    old, new = code_items.get(demo_table, "ANN20"), code_items.get(demo_table, "ANN30")
    assert old == before.model_copy(update={"paused_at": old.paused_at, "paused_by": "guard:no_ref"})  # untouched
    assert new.owner == old.owner and new.paused_at is None
    again = affiliates.create_coupon(demo_table, affiliates.open_session(demo_table, token), "ANN30")
    assert again.replayed  # a retry of the replacement writes nothing
    redemptions.redeem(demo_table, CHECKOUT_KEY, "ANN30", "o-2", CART, Customer(id="c2"))
    later = affiliates.open_dashboard(demo_table, issue(demo_table, "ann@example.com"))  # a new token knows it
    assert (later.session.coupon.code, later.session.coupon.previous_codes, later.paused_at) == ("ANN30", ("ANN20",), None)
    assert later.earnings.stats.sales == 2  # the paused code's sale still counts as hers


def test_a_replacement_with_a_taken_code_is_refused_and_writes_nothing(affonso_table, session):
    ann, bob = session("ann@example.com"), session("bob@example.com")
    affiliates.create_coupon(affonso_table, ann, "ANN20")
    affiliates.create_coupon(affonso_table, bob, "BOB20")
    pausing.pause(affonso_table, "ANN20", "admin", utcnow())
    with pytest.raises(CodeTaken):
        affiliates.create_coupon(affonso_table, affiliates.open_session(affonso_table, issue(affonso_table, "ann@example.com")),
                                 "BOB20")
    assert affiliates.open_session(affonso_table, issue(affonso_table, "ann@example.com")).coupon.code == "ANN20"


def test_two_replacements_at_once_leave_exactly_one_new_code(affonso_table, session):
    ann = session("ann@example.com")
    affiliates.create_coupon(affonso_table, ann, "ANN20")
    pausing.pause(affonso_table, "ANN20", "admin", utcnow())
    opened = affiliates.open_session(affonso_table, issue(affonso_table, "ann@example.com"))
    affiliates.create_coupon(affonso_table, opened, "ANNA1")
    with pytest.raises(AlreadyHasCoupon):  # a second tab still showing ANN20 as paused
        affiliates.create_coupon(affonso_table, opened, "ANNA2")
    assert code_items.get(affonso_table, "ANNA2") is None


@pytest.mark.local_stack
def test_parallel_replacements_on_dynamodb_local_leave_one_code(local_stack):
    """Ten tabs replace one paused coupon at once, each with its own code: one wins, the rest are
    refused, and only the winner's code exists."""
    from localrun.demo import affonso as affonso_demo

    table = local_stack.table
    affonso_demo.seed(table)
    email = "race-replace@example.com"
    affiliates.create_coupon(table, affiliates.open_session(table, issue(table, email)), "RACEOLD")
    pausing.pause(table, "RACEOLD", "admin", utcnow())
    opened = affiliates.open_session(table, issue(table, email))

    def replace(i: int) -> str:
        try:
            return affiliates.create_coupon(table, opened, f"RACENEW{i}").coupon.code
        except AlreadyHasCoupon:
            return "refused"

    with ThreadPoolExecutor(max_workers=10) as pool:
        got = list(pool.map(replace, range(10)))
    winners = [g for g in got if g != "refused"]
    assert len(winners) == 1
    assert [i for i in range(10) if code_items.get(table, f"RACENEW{i}", consistent=True)] == [int(winners[0][-1])]
    assert code_items.get(table, "RACEOLD", consistent=True).paused_at is not None


def test_the_embed_data_sample_says_whether_the_coupon_is_paused(handler, demo_table):
    """The events/ sample through the handler: the demo affiliate's coupon, then paused."""
    event = load_event("affonso", "data-with-coupon")
    coupon = body(handler("AffonsoFunction")(event))["data"]["coupon"]
    assert (coupon["paused"], coupon["pausedReason"]) == (False, None)
    pausing.pause(demo_table, coupon["code"], "admin", utcnow())
    paused = body(handler("AffonsoFunction")(event))["data"]
    assert paused["coupon"]["paused"] is True and "leaked" in paused["coupon"]["pausedReason"]
    assert paused["couponBlueprint"] is not None
    assert paused["coupon"]["code"] == coupon["code"]
